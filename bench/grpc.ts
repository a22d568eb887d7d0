// Kept-alive gRPC calls/s over SPIFFE mTLS against the same stack with plain `ca`
// verification, in one run (only the ratio means anything on a shared machine):
//   grpc-js: createSpiffeChannelCredentials → serveGrpcMtls, vs grpc.credentials.createSsl →
//            server.bindAsync(ServerCredentials.createSsl(ca, …, true)); not on Deno, whose
//            entry refuses grpc-js clients (BENCH_NOTE).
//   Connect: createSpiffeGrpcTransport → connectNodeAdapter + attachSpiffe, vs
//            createGrpcTransport({ nodeOptions: { ca, key, cert } }) → http2.createSecureServer({ ca, requestCert, rejectUnauthorized: true }).
// One client (one HTTP/2 connection), CONC concurrent unary calls, in ROUNDS interleaved pairs of rounds
// (which goes first alternates): value and baseline are the medians of their rounds, the ratio the
// median of the pairs' ratios (as bench/integrations.ts), so a burst of load elsewhere spoils one pair only.
// Prints `BENCH_RESULT {json}` and `BENCH_NOTE` lines (see bench/run.mjs).
import { Buffer } from "node:buffer";
import { type ConnectRouter, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { GreeterService } from "../examples/grpc/gen/greeter_pb.ts";
import { FakeX509Source } from "../src/testing/mod.ts";
import { runtime, runtimeEntry } from "../tests/support/runtime-entry.ts";
import { pairedMedians } from "./_stats.ts";
import { ca, caPem, clientAuthz, clientPem, clientSvid, serverAuthz, serverPem, serverSvid } from "./_mtls-fixtures.ts";

const { attachSpiffe, createServerTlsOptions, createSpiffeChannelCredentials, createSpiffeGrpcTransport, serveGrpcMtls } = runtimeEntry;
const CONC = 8;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7); // pairs; the figure is the median pair
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 700);
const TARGET = 0.9;

const result = (line: Record<string, unknown>): void => console.log(`BENCH_RESULT ${JSON.stringify({ bench: "grpc", unit: "calls/s", target: TARGET, ...line })}`);
/** The figure's CPU time per call (the whole process: client and server), next to the baseline's; steadier than calls/s on a shared machine. */
const cpuResult = (name: string, baselineName: string, m: { cpuOurs: number; cpuBase: number; cpuRatio: number }): void =>
  result({ name: `CPU per call, ${name}`, unit: "µs CPU", better: "lower", target: 1.11, value: r2(m.cpuOurs), baselineName, baseline: r2(m.cpuBase), ratio: r2(m.cpuRatio) });

/** Figure and baseline in interleaved pairs of rounds after a warm-up (which also opens the connections): medians, and the median of the pairs' ratios. */
const paired = (ours: () => Promise<void>, base: () => Promise<void>): ReturnType<typeof pairedMedians> => pairedMedians(ours, base, CONC, ROUNDS, ROUND_MS);

const serverSource = new FakeX509Source({ svid: serverSvid, bundles: [ca.x509Bundle] });
const clientSource = new FakeX509Source({ svid: clientSvid, bundles: [ca.x509Bundle] });
const r2 = (n: number): number => Math.round(n * 100) / 100;

// ---- grpc-js -----------------------------------------------------------------------------
const bytes = (b: Buffer): Buffer => b;
const echo = { echo: { path: "/bench.Echo/Echo", requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes } };
const handlers = { echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) };
const payload = Buffer.from("ping");
const unary = (client: grpc.Client) => (): Promise<void> =>
  new Promise((resolve, reject) => client.makeUnaryRequest(echo.echo.path, bytes, bytes, payload, (err) => (err ? reject(err) : resolve())));

if (runtime === "deno") {
  console.log("BENCH_NOTE grpc-js: not measured on Deno, whose entry refuses grpc-js clients (docs/integrations.md, section Deno and grpc-js clients); Connect below.");
} else {
  const ours = new grpc.Server();
  ours.addService(echo, handlers);
  const listening = await serveGrpcMtls(grpc, ours, { source: serverSource, authorizer: serverAuthz, hostname: "127.0.0.1" });
  const base = new grpc.Server();
  base.addService(echo, handlers);
  const caBuf = Buffer.from(caPem);
  const basePort = await new Promise<number>((resolve, reject) =>
    base.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createSsl(caBuf, [{ private_key: Buffer.from(serverPem.privateKey), cert_chain: Buffer.from(serverPem.certificates) }], true), (e, p) => (e ? reject(e) : resolve(p))));
  const oursClient = new grpc.Client(`127.0.0.1:${listening.port}`, createSpiffeChannelCredentials(grpc, { source: clientSource, authorizer: clientAuthz }));
  // servername "localhost": Bun refuses grpc-js's default (the IP address) as a TLS ServerName
  const baseClient = new grpc.Client(`127.0.0.1:${basePort}`, grpc.credentials.createSsl(caBuf, Buffer.from(clientPem.privateKey), Buffer.from(clientPem.certificates), { checkServerIdentity: () => undefined }), { "grpc.ssl_target_name_override": "localhost" });
  const m = await paired(unary(oursClient), unary(baseClient));
  const what = `grpc-js kept-alive unary calls (one channel, ${CONC} concurrent)`;
  const baselineName = "grpc.credentials.createSsl(ca, key, cert) → bindAsync(ServerCredentials.createSsl(ca, [key, cert], true)), same certificates";
  result({ name: `${what}/s`, value: r2(m.ours), baselineName, baseline: r2(m.base), ratio: r2(m.ratio) });
  cpuResult(what, baselineName, m);
  oursClient.close();
  baseClient.close();
  await listening.close({ graceMs: 100 });
  ours.forceShutdown();
  base.forceShutdown();
}

// ---- Connect -----------------------------------------------------------------------------
const routes = (router: ConnectRouter): void => void router.service(GreeterService, { greet: (req) => ({ greeting: req.name }) });
const listen = (server: http2.Http2SecureServer): Promise<string> =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`)));
const tls = createServerTlsOptions(serverSource, serverAuthz, { ALPNProtocols: ["h2"] });
const oursServer = attachSpiffe(http2.createSecureServer(tls, connectNodeAdapter({ routes })), tls);
const baseServer = http2.createSecureServer({ key: serverPem.privateKey, cert: serverPem.certificates, ca: caPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ["h2"] }, connectNodeAdapter({ routes }));
const oursTransport = createSpiffeGrpcTransport({ baseUrl: await listen(oursServer), source: clientSource, authorizer: clientAuthz });
const baseTransport = createGrpcTransport({ baseUrl: await listen(baseServer), nodeOptions: { key: clientPem.privateKey, cert: clientPem.certificates, ca: caPem, checkServerIdentity: () => undefined } });
const greet = (client: ReturnType<typeof createClient<typeof GreeterService>>) => async (): Promise<void> => void (await client.greet({ name: "ping" }));
const c = await paired(greet(createClient(GreeterService, oursTransport)), greet(createClient(GreeterService, baseTransport)));
const connectWhat = `Connect kept-alive unary calls (gRPC, one transport, ${CONC} concurrent)`;
const connectBaseline = "createGrpcTransport({ nodeOptions: { key, cert, ca } }) → http2.createSecureServer({ key, cert, ca, requestCert, rejectUnauthorized: true }) + connectNodeAdapter, same certificates";
result({ name: `${connectWhat}/s`, value: r2(c.ours), baselineName: connectBaseline, baseline: r2(c.base), ratio: r2(c.ratio) });
cpuResult(connectWhat, connectBaseline, c);
oursTransport.close();
await Promise.race([new Promise((r) => oursServer.close(r)), new Promise((r) => setTimeout(r, 1000))]);
await Promise.race([new Promise((r) => baseServer.close(r)), new Promise((r) => setTimeout(r, 1000))]);
process.exit(0);
