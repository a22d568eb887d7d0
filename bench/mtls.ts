// Bench: the SPIFFE mTLS adapter (`serveMtls` + `createMtlsClient`) next to baselines
// measured in the same process, same run, with the same certificates:
//   1. New connections per second (full handshake, one small JSON request each; sequential and
//      with CONC concurrent clients). Ours: a fresh `createMtlsClient` per connection (closed
//      after), so every request is a new handshake, both sides verify the peer as an
//      X.509-SVID and authorize its ID. Baseline: the runtime's own TLS stack with plain `ca`
//      verification (`https.createServer({ key, cert, ca, requestCert, rejectUnauthorized })`
//      + `https.request({ key, cert, ca, checkServerIdentity: () => undefined, agent: false })`;
//      on Bun, whose https server cannot do mTLS, `tls.createServer` + `http` as the adapter does).
//   2. Requests per second on kept-alive connections (small JSON), like for like per protocol:
//      ours over HTTP/2 vs a native `http2` session, ours over HTTP/1.1 vs a keep-alive `https.Agent`.
//   3. Development Workload API server `rotate()` → a new handshake to serveMtls presenting the
//      new SVID (p50/p99), through X509Source; baseline: rotate() → the X509Source's onUpdate
//      in the same rotation (so the ratio shows what the server adds).
//   4. Resident set growth after 10,000 connections and after 1,000 rotations (FakeX509Source,
//      server and a long-lived client both rotating), next to the native stack's growth over the
//      same runs (native connections; setSecureContext rotations), measured the same way.
// Run: `node bench/mtls.ts`, `bun bench/mtls.ts`, `deno run -A bench/mtls.ts` (GC flags, as
// bench/run.mjs passes them, make the memory figures steadier: node --expose-gc, deno
// --v8-flags=--expose-gc; Bun has Bun.gc). Prints `BENCH_RESULT {json}` and `BENCH_NOTE` lines.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import { tmpdir } from "node:os";
import type { Duplex } from "node:stream";
import { join } from "node:path";
import * as tls from "node:tls";
import { attachSpiffe, connectMtls, createServerTlsOptions, type MtlsServer, X509Source } from "../src/adapters/node/mod.ts";
import { runtimeEntry } from "../tests/support/runtime-entry.ts";
import { FakeX509Source, startWorkloadApiServer } from "../src/testing/mod.ts";
import { createCa, issueLeaf } from "../tests/support/test-pki.ts";
import { pairedThroughput, percentile, throughput, WAIT_MS, within } from "./_stats.ts";
import { webObjectCosts } from "./_web-objects.ts";
import { ca, caPem, checkOk, clientAuthz, clientPem, clientSvid, readOk, SERVER_ID, serverAuthz, serverPem, serverSvid } from "./_mtls-fixtures.ts";
const { createMtlsClient, serveMtls } = runtimeEntry; // the entry of the runtime running the bench (its fixes included)

const CONC = 4; // concurrent clients
const ROUNDS = 3; // interleaved rounds per figure
const NEW_ROUNDS = 5; // new connections vary more from round to round (two handshakes each)
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 700);
const ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 100);
const MEM_CONNECTIONS = Number(process.env.BENCH_MEM_CONNECTIONS ?? 10_000);
const MEM_ROTATIONS = Number(process.env.BENCH_MEM_ROTATIONS ?? 1000);
/** Sections to run (comma-separated; default all): new, kept, limit, anchor, rotate, memory. */
const ONLY = new Set((process.env.BENCH_ONLY ?? "new,kept,limit,anchor,rotate,memory").split(","));

const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const isBun = runtime === "bun";

// ---- helpers -------------------------------------------------------------------------------

function result(line: Record<string, unknown>): void {
  console.log(`BENCH_RESULT ${JSON.stringify({ bench: "mtls", ...line })}`);
}
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** Interleaved rounds of figure and baseline (see `pairedThroughput`). */
const paired = (ours: () => Promise<void>, base: () => Promise<void>, conc: number, rounds = ROUNDS): Promise<[number, number]> => pairedThroughput(ours, base, conc, rounds, ROUND_MS);

// ---- certificates --------------------------------------------------------------------------

const serverSource = new FakeX509Source({ svid: serverSvid, bundles: [ca.x509Bundle] });
const clientSource = new FakeX509Source({ svid: clientSvid, bundles: [ca.x509Bundle] });
const BODY = JSON.stringify({ ok: true, n: 1 });

// ---- our server / client -------------------------------------------------------------------

const ours: MtlsServer = await serveMtls({
  source: serverSource,
  authorizer: serverAuthz,
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => new Response(BODY, { headers: { "content-type": "application/json" } }),
});
const oursUrl = `https://127.0.0.1:${ours.port}/hello`;

async function oursNewConnection(useHttp2: boolean): Promise<void> {
  const client = createMtlsClient({ source: clientSource, authorizer: clientAuthz, http2: useHttp2 });
  try {
    checkOk(await (await client.get(oursUrl)).json());
  } finally {
    await client.close();
  }
}

// Kept-alive clients, one per protocol. HTTP/1.1: the same number of sockets as the baseline agent.
const keptH2 = createMtlsClient({ source: clientSource, authorizer: clientAuthz, http2: true });
const keptH1 = createMtlsClient({ source: clientSource, authorizer: clientAuthz, http2: false, pool: { maxPerOrigin: CONC } });
const keptGet = (client: typeof keptH2) => async (): Promise<void> => {
  checkOk(await (await client.get(oursUrl)).json());
};

// ---- baseline server / client (the runtime's own TLS verification, same certificates) -----

const baseHandler = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.setHeader("content-type", "application/json");
  res.end(BODY);
};
const baseTls = { key: serverPem.privateKey, cert: serverPem.certificates, ca: caPem, requestCert: true, rejectUnauthorized: true };
let baseServer: { listen: tls.Server["listen"]; address: tls.Server["address"]; close: tls.Server["close"] };
if (isBun) {
  const httpServer = http.createServer(baseHandler);
  const tlsServer = tls.createServer(baseTls);
  tlsServer.on("secureConnection", (socket) => httpServer.emit("connection", socket));
  baseServer = tlsServer;
} else {
  baseServer = https.createServer(baseTls, baseHandler);
}
await new Promise<void>((resolve) => baseServer.listen(0, "127.0.0.1", () => resolve()));
const basePort = (baseServer.address() as { port: number }).port;
const baseClientTls = { key: clientPem.privateKey, cert: clientPem.certificates, ca: caPem, checkServerIdentity: () => undefined };

function baseGet(agent: https.Agent | false): Promise<void> {
  return baseGetWith({}, agent);
}
function baseGetWith(creds: { key?: string; cert?: string }, agent: https.Agent | false = false): Promise<void> {
  return getWith(basePort, { ...baseClientTls, ...creds }, agent);
}
function getWith(port: number, tlsOptions: https.RequestOptions, agent: https.Agent | false): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path: "/hello", method: "GET", agent, ...tlsOptions }, (res) => {
      readOk(res).then(resolve, reject);    });
    req.on("error", reject);
    req.end();
  });
}
const baseAgent = new https.Agent({ keepAlive: true, maxSockets: CONC, ...baseClientTls });

// Native HTTP/2: a secure server with plain `ca` verification and one client session.
const baseH2Server = http2.createSecureServer({ ...baseTls }, (_req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(BODY);
});
await new Promise<void>((resolve) => baseH2Server.listen(0, "127.0.0.1", () => resolve()));
const baseH2Url = `https://127.0.0.1:${(baseH2Server.address() as { port: number }).port}`;
let baseH2Session: http2.ClientHttp2Session | undefined;
function baseH2Get(): Promise<void> {
  baseH2Session ??= http2.connect(baseH2Url, baseClientTls).on("error", () => {});
  return h2GetOn(baseH2Session);
}
/** A native HTTP/2 session for one request, closed after it (a new connection each time). */
async function baseH2NewConnection(): Promise<void> {
  const session = http2.connect(baseH2Url, baseClientTls);
  const failed = new Promise<never>((_, reject) => session.once("error", reject));
  try {
    await Promise.race([h2GetOn(session), failed]);
  } finally {
    session.close();
  }
}
function h2GetOn(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => {
    readOk(session.request({ ":path": "/hello" })).then(resolve, reject);
  });
}

// ---- 1. new connections per second ---------------------------------------------------------

// Like for like per protocol, as for kept-alive connections: a fresh createMtlsClient over
// HTTP/1.1 (http2: false) vs a native https.request with its own connection, and a fresh
// createMtlsClient over HTTP/2 (its default on Node and Bun) vs a native http2.connect session
// opened for one request and closed. (HTTP/2 costs more than HTTP/1.1 per new connection on
// every runtime, native included: SETTINGS exchange and session set-up.)
const NEW_H1_BASE = isBun
  ? "Bun tls.createServer({ key, cert, ca, requestCert, rejectUnauthorized }) + http, https.request({ key, cert, ca, agent: false })"
  : "https.createServer({ key, cert, ca, requestCert, rejectUnauthorized }) + https.request({ key, cert, ca, agent: false })";
const NEW_H2_BASE = "http2.createSecureServer({ key, cert, ca, requestCert }) + http2.connect({ key, cert, ca }) per connection, one request, close";
const NEW = [
  { proto: "HTTP/1.1", ours: () => oursNewConnection(false), base: () => baseGet(false), baseName: NEW_H1_BASE },
  { proto: "HTTP/2", ours: () => oursNewConnection(true), base: baseH2NewConnection, baseName: NEW_H2_BASE },
];
for (const n of ONLY.has("new") ? NEW : []) {
  for (const conc of [1, CONC]) {
    const [a, b] = await paired(n.ours, n.base, conc, NEW_ROUNDS);
    result({
      name: `new mTLS connections/s, ${n.proto} (fresh client per connection, ${conc === 1 ? "sequential" : `${conc} concurrent`})`,
      unit: "conn/s",
      value: r2(a),
      baselineName: n.baseName,
      baseline: r2(b),
      ratio: r2(a / b),
      target: 0.85,
    });
  }
}

// ---- 2. kept-alive requests per second -----------------------------------------------------

// Like for like: ours over HTTP/2 (one multiplexed session, the client's default on Node and
// Bun) vs a native HTTP/2 session, and ours over HTTP/1.1 (the default on Deno) vs a native
// keep-alive agent with as many sockets. Each twice: through serveMtls + createMtlsClient
// (Web Request/Response at both ends), and through the lower-level public API, which keeps
// the runtime's own request/response objects: attachSpiffe on the runtime's http2/https
// server with the same node-style handler as the baseline, and a client over connectMtls
// sockets (an http2 session on one, or an https.Agent whose createConnection calls it).

// Lower-level server: the same handler as the baselines, SPIFFE verification by attachSpiffe.
const lowTls = createServerTlsOptions(serverSource, serverAuthz, { ALPNProtocols: ["h2", "http/1.1"] });
const lowH2Server = http2.createSecureServer({ ...lowTls, allowHTTP1: isBun }, (_req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(BODY);
});
attachSpiffe(lowH2Server, lowTls);
await new Promise<void>((resolve) => lowH2Server.listen(0, "127.0.0.1", () => resolve()));
const lowH2Port = (lowH2Server.address() as { port: number }).port;
// HTTP/1.1: https.createServer; on Bun, whose https server exposes no client certificate,
// http2.createSecureServer({ allowHTTP1: true }) (what attachSpiffe's docs recommend there).
const lowH1Tls = createServerTlsOptions(serverSource, serverAuthz);
const lowH1Server = isBun ? lowH2Server : https.createServer(lowH1Tls, baseHandler);
if (!isBun) {
  attachSpiffe(lowH1Server, lowH1Tls);
  await new Promise<void>((resolve) => lowH1Server.listen(0, "127.0.0.1", () => resolve()));
}
const lowH1Port = (lowH1Server.address() as { port: number }).port;
let lowH2Session: http2.ClientHttp2Session | undefined;
async function lowH2Get(): Promise<void> {
  if (!lowH2Session) {
    const socket = await connectMtls("127.0.0.1", lowH2Port, { source: clientSource, authorizer: clientAuthz, ALPNProtocols: ["h2"] });
    lowH2Session ??= http2.connect(`https://127.0.0.1:${lowH2Port}`, { createConnection: () => socket }).on("error", () => {});
  }
  return h2GetOn(lowH2Session);
}
/** An https.Agent whose connections are SPIFFE-verified sockets from connectMtls. */
let lowConnections = 0;
class ConnectMtlsAgent extends https.Agent {
  override createConnection(options: { host?: string | null; port?: number | string | null }, callback: (err: Error | null, socket?: Duplex) => void): Duplex {
    lowConnections++;
    connectMtls(String(options.host), Number(options.port), { source: clientSource, authorizer: clientAuthz, ALPNProtocols: ["http/1.1"] }).then(
      (socket) => callback(null, socket),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
    return undefined as unknown as Duplex; // delivered through the callback once verified
  }
}
const lowAgent = new ConnectMtlsAgent({ keepAlive: true, maxSockets: CONC });
const lowH1Get = (): Promise<void> => getWith(lowH1Port, {}, lowAgent);

// Each end alone: serveMtls answering the native client, and createMtlsClient calling the
// native server (which presents the server's SVID and verifies the client against the CA).
let oursServerH2Session: http2.ClientHttp2Session | undefined;
const oursServerH2Get = (): Promise<void> => {
  oursServerH2Session ??= http2.connect(`https://127.0.0.1:${ours.port}`, baseClientTls).on("error", () => {});
  return h2GetOn(oursServerH2Session);
};
const oursServerH1Get = (): Promise<void> => getWith(ours.port, {}, baseAgent);
const baseH2Port = Number(new URL(baseH2Url).port);
const oursClientH2Get = async (): Promise<void> => {
  checkOk(await (await keptH2.get(`https://127.0.0.1:${baseH2Port}/hello`)).json());
};
const oursClientH1Get = async (): Promise<void> => {
  checkOk(await (await keptH1.get(`https://127.0.0.1:${basePort}/hello`)).json());
};

const LOW = "attachSpiffe on the runtime's server with the baseline's node-style handler + a client over connectMtls sockets (no Web Request/Response)";
const KEPT = [
  { proto: "HTTP/2", ours: keptGet(keptH2), base: baseH2Get, baseName: "http2.createSecureServer({ key, cert, ca, requestCert }) + one http2.connect session, same certificates, plain ca verification" },
  { proto: "HTTP/1.1", ours: keptGet(keptH1), base: () => baseGet(baseAgent), baseName: `https server + https.Agent({ keepAlive: true, maxSockets: ${CONC} }); ours with pool.maxPerOrigin ${CONC}` },
  { proto: "HTTP/2, serveMtls alone (Web handler; the native http2 client of the baseline)", ours: oursServerH2Get, base: baseH2Get, baseName: "native http2 pair (as above)" },
  { proto: "HTTP/1.1, serveMtls alone (Web handler; the baseline's native https.Agent)", ours: oursServerH1Get, base: () => baseGet(baseAgent), baseName: "native https keep-alive pair (as above)" },
  { proto: "HTTP/2, createMtlsClient alone (Web Response; against the native http2 server of the baseline)", ours: oursClientH2Get, base: baseH2Get, baseName: "native http2 pair (as above)" },
  { proto: "HTTP/1.1, createMtlsClient alone (Web Response; against the native https server of the baseline)", ours: oursClientH1Get, base: () => baseGet(baseAgent), baseName: "native https keep-alive pair (as above)" },
  { proto: `HTTP/2, lower-level API: ${LOW}, one http2.connect session`, ours: lowH2Get, base: baseH2Get, baseName: "native http2 pair (as above)" },
  { proto: `HTTP/1.1, lower-level API: ${LOW}, https.Agent({ keepAlive: true, maxSockets: ${CONC} })${isBun ? "; server http2.createSecureServer({ allowHTTP1: true })" : ""}`, ours: lowH1Get, base: () => baseGet(baseAgent), baseName: `native https keep-alive pair (as above)` },
];
for (const k of ONLY.has("kept") ? KEPT : []) {
  for (const conc of [1, 8]) {
    const [a, b] = await paired(k.ours, k.base, conc);
    result({
      name: `kept-alive requests/s, ${k.proto} (one client, ${conc === 1 ? "sequential" : `${conc} concurrent`})`,
      unit: "req/s",
      value: r2(a),
      baselineName: k.baseName,
      baseline: r2(b),
      ratio: r2(a / b),
      target: 0.9,
    });
  }
}
// ---- 2c. the ceiling of the kept-alive ratios: the Web objects alone ---------------------------
// What the Web Request/Response at each end cost per request with no I/O and no SDK code (see
// bench/_web-objects.ts), next to the native pair's CPU time per request (8 concurrent, measured
// here, same run; CPU time, not wall time, so that other processes on the machine count less). No implementation that hands the handler a real Request and returns
// real Responses can beat native / (native + web objects).
if (ONLY.has("limit")) {
  /** CPU µs of this process per request of a native pair, 8 concurrent (median of 5 rounds). */
  const nativeMicros = async (get: () => Promise<void>): Promise<number> => {
    await throughput(get, 8, 200); // warm-up
    const spent: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = process.cpuUsage();
      const rate = await throughput(get, 8, ROUND_MS);
      const used = process.cpuUsage(start);
      spent.push((used.user + used.system) / ((rate * ROUND_MS) / 1000));
    }
    return spent.sort((a, b) => a - b)[2]!;
  };
  const native = { h2: await nativeMicros(baseH2Get), h1: await nativeMicros(() => baseGet(baseAgent)) };
  const web = await webObjectCosts(10_000, 5);
  const ceiling = (extra: number, base: number): string => (base / (base + extra)).toFixed(2);
  const ends = [
    { end: "serveMtls end: new Request(url, { method, headers, signal }) following a fresh AbortController, the handler's new Response(json, { headers }), its headers read and its body read (two reads)", micros: web.server },
    { end: "createMtlsClient end: new Response(small JSON answer, { status, headers }) (the cheaper of a byte body and a one-chunk stream) + .json(), less a native decode + JSON.parse", micros: web.client },
  ];
  for (const { end, micros } of ends) {
    result({
      name: `ceiling: Web objects alone per kept-alive request, ${end} (CPU time, no I/O, 8 per event-loop turn, median of 5)`,
      unit: "µs",
      value: r2(micros),
      baselineName: "native HTTP/2 pair: CPU µs per request, client and server in this process (8 concurrent, median of 5 rounds, same run)",
      baseline: r2(native.h2),
      ratio: r2(micros / native.h2),
      better: "lower",
    });
  }
  console.log(
    `BENCH_NOTE ceiling of the kept-alive ratios (section 2c; measured in this run): the Web objects alone cost ${web.server.toFixed(1)} µs per request at the ` +
      `serveMtls end (the Request, of which ≈ ${web.signal.toFixed(1)} µs for following the signal that aborts when the client goes away, i.e. the same Request ` +
      `without a signal subtracted, a difference of two noisy medians; the handler's Response; reading it) and ` +
      `${web.client.toFixed(1)} µs at the createMtlsClient end (Response + .json() over a native JSON.parse), against ${native.h2.toFixed(1)} µs per request ` +
      `for the native HTTP/2 pair and ${native.h1.toFixed(1)} µs for the native HTTP/1.1 pair (CPU time of the one process that runs client and server, 8 concurrent). ` +
      `So even with every other cost at zero, 8 concurrent: serveMtls alone ≤ ${ceiling(web.server, native.h2)}× (HTTP/2) / ${ceiling(web.server, native.h1)}× (HTTP/1.1), ` +
      `createMtlsClient alone ≤ ${ceiling(web.client, native.h2)}× / ${ceiling(web.client, native.h1)}×, the pair ≤ ${ceiling(web.server + web.client, native.h2)}× / ` +
      `${ceiling(web.server + web.client, native.h1)}× (sequential requests leave the CPU idle between round trips, so a little more room there).`,
  );
}

lowAgent.destroy();
lowH2Session?.close();
oursServerH2Session?.close();
await new Promise<void>((resolve) => lowH2Server.close(() => resolve()));
if (!isBun) await new Promise<void>((resolve) => lowH1Server.close(() => resolve()));
await keptH2.close();
await keptH1.close();
baseAgent.destroy();
baseH2Session?.close();

// ---- 2b. anchors: the same handler without SPIFFE ---------------------------------------------
// What a user would run without mTLS: the runtime's own server with server-only TLS (a
// certificate for "localhost" from a separate CA), the same handler, the runtime's own
// keep-alive client; next to serveMtls + createMtlsClient with their defaults. The ratio is what
// SPIFFE mTLS plus the SDK cost on kept-alive connections.

interface AnchorServer {
  readonly url: string;
  get(): Promise<void>;
  close(): Promise<void>;
}
const webHandler = (): Response => new Response(BODY, { headers: { "content-type": "application/json" } });

/** The runtime's own server with server-only TLS and the runtime's own client (see above). */
async function startAnchor(): Promise<{ name: string; server: AnchorServer }> {
  const webCa = await createCa({ trustDomain: "web-pki.test", commonName: "bench web root" });
  const leaf = await issueLeaf(webCa, { uriSans: [], dnsSans: ["localhost"], commonName: "localhost" });
  const key = leaf.privateKeyPem;
  const cert = leaf.pem;
  const caCert = webCa.pem;
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (bun) {
    const server = bun.serve({ port: 0, hostname: "127.0.0.1", tls: { key, cert }, fetch: webHandler });
    const url = `https://localhost:${server.port}/hello`;
    return {
      name: "Bun.serve({ tls: { key, cert } }) with the same Web handler + Bun's fetch (keep-alive, ca)",
      server: { url, get: async () => checkOk(await (await fetch(url, { tls: { ca: caCert } } as RequestInit)).json()), close: async () => void server.stop(true) },
    };
  }
  if (deno) {
    const client = deno.createHttpClient({ caCerts: [caCert] });
    const server = deno.serve({ port: 0, hostname: "127.0.0.1", cert, key, onListen: () => {} }, webHandler);
    const url = `https://localhost:${server.addr.port}/hello`;
    return {
      name: "Deno.serve({ cert, key }) with the same Web handler + Deno's fetch (keep-alive, caCerts)",
      server: { url, get: async () => checkOk(await (await fetch(url, { client } as RequestInit)).json()), close: async () => (await server.shutdown(), client.close()) },
    };
  }
  const server = https.createServer({ key, cert }, baseHandler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONC, ca: caCert, servername: "localhost" });
  return {
    name: `https.createServer({ key, cert }) with the baseline's node-style handler + https.Agent({ keepAlive: true, maxSockets: ${CONC}, ca })`,
    server: {
      url: `https://127.0.0.1:${port}/hello`,
      get: () => getWith(port, { servername: "localhost" }, agent),
      close: async () => (agent.destroy(), await new Promise<void>((resolve) => server.close(() => resolve()))),
    },
  };
}
/** The parts of Bun and Deno the anchors use. */
interface BunLike {
  serve(options: { port: number; hostname: string; tls: { key: string; cert: string }; fetch: () => Response }): { port: number; stop(force: boolean): void };
}
interface DenoLike {
  createHttpClient(options: { caCerts: string[] }): { close(): void };
  serve(options: { port: number; hostname: string; cert: string; key: string; onListen: () => void }, handler: () => Response): { addr: { port: number }; shutdown(): Promise<void> };
}

if (ONLY.has("anchor")) {
  const anchor = await startAnchor();
  const keptDefault = createMtlsClient({ source: clientSource, authorizer: clientAuthz, pool: { maxPerOrigin: CONC } });
  for (const conc of [1, 8]) {
    const [a, b] = await paired(keptGet(keptDefault), anchor.server.get, conc);
    result({
      name: `anchor: kept-alive requests/s, serveMtls + createMtlsClient with their defaults (mTLS, ${runtime === "deno" ? "HTTP/1.1" : "HTTP/2"}) vs the runtime's own server with server-only TLS (one client, ${conc === 1 ? "sequential" : `${conc} concurrent`})`,
      unit: "req/s",
      value: r2(a),
      baselineName: anchor.name,
      baseline: r2(b),
      ratio: r2(a / b),
    });
  }
  await keptDefault.close();
  await anchor.server.close();
}

// ---- 3. rotate → new handshake presenting the new SVID -------------------------------------

if (ONLY.has("rotate")) {
  const dir = mkdtempSync(join(tmpdir(), "bench-mtls-"));
  const wl = await startWorkloadApiServer({ socketPath: join(dir, "agent.sock"), ca, workloads: [{ id: SERVER_ID }] });
  const source = await X509Source.create({ address: wl.address, timeoutMs: WAIT_MS });
  const server = await serveMtls({ source, authorizer: serverAuthz, port: 0, hostname: "127.0.0.1", fetch: () => new Response(BODY) });
  /** One full handshake to the server (presenting the client SVID); answers the server's leaf (DER). */
  const same = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
  const probe = (): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port: server.port, key: clientPem.privateKey, cert: clientPem.certificates, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
      socket.on("error", reject);
      socket.once("secureConnect", () => {
        const raw = new Uint8Array(socket.getPeerCertificate().raw);
        socket.destroy();
        resolve(raw);
      });
    });
  const toHandshake: number[] = [];
  const toUpdate: number[] = [];
  let current = await probe();
  for (let i = 0; i < ROTATIONS + 5; i++) {
    const before = source.getX509Svid();
    const updated = new Promise<number>((resolve) => {
      const off = source.onUpdate(({ svid }) => {
        if (svid !== before) {
          off();
          resolve(performance.now());
        }
      });
    });
    const start = performance.now();
    const rotated = wl.rotate();
    let seen: number | undefined;
    while (seen === undefined) {
      const raw = await within(probe(), "probe handshake");
      if (!same(raw, current)) {
        seen = performance.now();
        current = raw;
      }
    }
    const up = await within(updated, "rotation to reach the source");
    await rotated;
    if (i >= 5) {
      toHandshake.push(seen - start);
      toUpdate.push(up - start);
    }
  }
  await server.close();
  await source.close();
  await wl[Symbol.asyncDispose]();
  rmSync(dir, { recursive: true, force: true });
  for (const p of [50, 99]) {
    const a = percentile(toHandshake, p);
    const b = percentile(toUpdate, p);
    result({ name: `rotate()→new handshake presents new SVID p${p}`, unit: "ms", value: r2(a), baselineName: `rotate()→X509Source onUpdate p${p} (same rotations)`, baseline: r2(b), ratio: r2(a / b), better: "lower" });
  }
}

// ---- 4. memory -----------------------------------------------------------------------------
// Each measurement (ours / native, connections / rotations) runs in a fresh child process of
// the same runtime (bench/_mtls-memory.ts): warm-up, forced GC, RSS, the run, forced GC, RSS.
// Run one after the other in the same process, the second run would reuse the memory the
// first one's heap and TLS stack left behind (on Node the native connections grow RSS by
// ~200 MiB, which ours then reused). Order alternates across repeats.

interface MemRun {
  mode: string;
  unsupported?: boolean;
  gc?: boolean;
  seconds?: number;
  points?: { n: number; rss: number; heap: number }[];
}
/** The command that runs a .ts file on this runtime, with the GC flag bench/run.mjs uses. */
function selfCommand(): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "-A", "--v8-flags=--expose-gc"]];
  if (runtime === "bun") return [process.execPath, []];
  return [process.execPath, ["--expose-gc"]];
}
function memChild(mode: string, n: number, checkpoints: number): MemRun {
  const [cmd, args] = selfCommand();
  const file = new URL("./_mtls-memory.ts", import.meta.url).pathname;
  const r = spawnSync(cmd, [...args, file], {
    encoding: "utf8",
    timeout: 900_000,
    env: { ...process.env, BENCH_MEM_MODE: mode, BENCH_MEM_N: String(n), BENCH_MEM_CHECKPOINTS: String(checkpoints) },
  });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("BENCH_MEM "));
  if (r.status !== 0 || !line) throw new Error(`bench: memory child ${mode} failed (exit ${r.status}): ${(r.stderr ?? "").slice(-2000)}`);
  return JSON.parse(line.slice("BENCH_MEM ".length)) as MemRun;
}
const MEM_REPEATS = Number(process.env.BENCH_MEM_REPEATS ?? 2);
const MEM_CHECKPOINTS = 4;
const lastRss = (r: MemRun): number => r.points!.at(-1)!.rss;
const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

let connSeconds = 0;
const memNotes: string[] = [];
let gcAvailable = false;
if (ONLY.has("memory")) {
  /** Ours next to the native growth: a ratio when the native growth is clearly above zero, else the difference. */
  const memResult = (name: string, ours: number, base: number | undefined, baseName: string): void => {
    if (base === undefined) return result({ name, unit: "MiB", value: r2(ours), baselineName: `${baseName}: not measurable on ${runtime}`, baseline: "n/a", ratio: "n/a", better: "lower" });
    const useRatio = base >= 1;
    result({ name, unit: "MiB", value: r2(ours), baselineName: baseName, baseline: r2(base), ...(useRatio ? { ratio: r2(ours / base) } : { difference: r2(ours - base) }), better: "lower" });
  };
  const series = (r: MemRun): string => r.points!.map((p) => `${p.n}: ${p.rss >= 0 ? "+" : ""}${p.rss.toFixed(1)}`).join(", ");
  for (const kind of ["conn", "rot"] as const) {
    const n = kind === "conn" ? MEM_CONNECTIONS : MEM_ROTATIONS;
    const runs: { ours: MemRun[]; native: MemRun[] } = { ours: [], native: [] };
    for (let i = 0; i < MEM_REPEATS; i++) {
      const order = i % 2 === 0 ? (["native", "ours"] as const) : (["ours", "native"] as const);
      for (const who of order) {
        const r = memChild(`${kind}-${who}`, n, MEM_CHECKPOINTS);
        runs[who].push(r);
        if (kind === "conn") connSeconds += r.seconds ?? 0;
        gcAvailable ||= r.gc === true;
      }
    }
    const ours = medianOf(runs.ours.map(lastRss));
    const nativeOk = runs.native.every((r) => !r.unsupported);
    const base = nativeOk ? medianOf(runs.native.map(lastRss)) : undefined;
    memNotes.push(
      `${kind === "conn" ? `${n} connections` : `${n} rotations`}, RSS growth in MiB at each quarter, one fresh process per run: ` +
        `ours ${runs.ours.map((r) => `[${series(r)}]`).join(" ")}; native ${nativeOk ? runs.native.map((r) => `[${series(r)}]`).join(" ") : "n/a"}`,
    );
    if (kind === "conn") {
      memResult(
        `RSS growth after ${n} connections (fresh client each, ${CONC} concurrent; own process, median of ${MEM_REPEATS})`,
        ours,
        base,
        `native RSS growth after ${n} connections (https.request agent: false, same server kind as figure 1; own process)`,
      );
    } else {
      memResult(
        `RSS growth after ${n} rotations (server + client, FakeX509Source, 40 pre-issued SVIDs cycled; own process, median of ${MEM_REPEATS})`,
        ours,
        base,
        `native RSS growth after ${n} setSecureContext rotations (same PEMs, a new-connection request every 10; own process)`,
      );
    }
  }
}
console.log(
  `BENCH_NOTE new connections: a fresh createMtlsClient per connection (every verifier of the process shares one cache of successful chain verifications, keyed by ` +
    `the exact chain bytes and valid only for the same bundle object and within the chain's validity, so after the first connection both the fresh ` +
    `client and the server skip path building and signature checks for the repeated chains; both still read the peer's chain and run the authorizer ` +
    `on every connection); like for like per protocol: HTTP/1.1 = ours (http2: false) vs https.request with agent: false, HTTP/2 = ours (its default) ` +
    `vs a native http2.connect session per connection (one request, then close); mean of ${NEW_ROUNDS} interleaved ${ROUND_MS} ms rounds. ` +
    `Kept-alive: HTTP/2 = ours (one session) vs a native http2 session; HTTP/1.1 = ours (http2: false, ${CONC} sockets) vs a native keep-alive agent with ${CONC} sockets. ` +
    `Throughput = mean of ${ROUNDS} interleaved ${ROUND_MS} ms rounds. ` +
    `Rotation: ${ROTATIONS} rotations, sequential probe handshakes (each ≈ one handshake of resolution) from before rotate() until one shows the new leaf. ` +
    `Memory: RSS after ${gcAvailable ? "forced GC" : "no forced GC (gc not exposed)"}, each run (ours, native) in a fresh process of the same runtime after a warm-up ` +
    `(500 connections / 100 rotations), order alternating across ${MEM_REPEATS} repeats, median shown (the difference is shown when the native growth is under 1 MiB); ` +
    `the connection runs took ${connSeconds.toFixed(0)} s. ${memNotes.join(". ")}.`,
);

console.log(
  `BENCH_NOTE lower-level API figures: the server is the baseline's own http2/https server and node-style handler with attachSpiffe (verification once per ` +
    `connection, before the HTTP layer sees it); the HTTP/2 client is one http2.connect session over a connectMtls socket, the HTTP/1.1 client an ` +
    `https.Agent({ keepAlive: true, maxSockets: ${CONC} }) whose createConnection calls connectMtls. That agent opened ${lowConnections} connections over the ` +
    `HTTP/1.1 kept-alive rounds (warm-up included): Node's Agent counts a socket that createConnection delivers through its callback only once it ` +
    `arrives, so under 8 concurrent requests it opens more than maxSockets and later destroys the extras, and each new one is a full handshake and ` +
    `verification (createMtlsClient avoids this with a per-origin limit in front of its agent).`,
);
console.log(
  `BENCH_NOTE what limits the ratios (profiles of each end alone against the native other end, 8 concurrent: node --cpu-prof and bun --cpu-prof; CPU-time ` +
    `micro-benchmarks on all three runtimes; the ceiling note gives this run's figures): kept-alive — no SPIFFE work per request (verification runs once ` +
    `per connection; the lower-level API, with the runtime's own request/response objects, runs at ≈ the native pair's rate), so the gap of ` +
    `serveMtls + createMtlsClient is the Web Request/Response at both ends. serveMtls end, HTTP/2, Node: undici's Request ≈ 6% of the process's CPU (following ` +
    `the AbortController's signal, so that request.signal aborts when the client goes away, is most of it: WeakRef, FinalizationRegistry and an abort listener ` +
    `per Request), the handler's own new Response(string) ≈ 6% (undici builds a Web stream for every body), node:http2's compat writeHead/end as for the native ` +
    `server, our adapter code ≈ 5-7%, and more garbage to collect; Bun: the Request ≈ 9% (Bun's profile has no separate GC entry), reading the Response ≈ 8% before this round. ` +
    `createMtlsClient end: http2 session.request dominates as for the native client; ours adds the per-request deadline (an AbortController, a timer, abort ` +
    `listeners: ≈ 3-4% of a Bun client's CPU) and the Response with .json(). Removed this round: an Error (stack trace included) built for every HTTP/1.1 client ` +
    `request (≈ 5% of the client's CPU on Node); a Promise.race against the next event-loop turn per body read on the server (one setImmediate per turn now); ` +
    `a setTimeout + clearTimeout pair per request for idle HTTP/2 connections at both ends (≈ 1.5-2 µs each on Deno 2.9; one lazily re-armed timer per ` +
    `connection now); undici's copy of a byte body on Node (a ready one-chunk stream instead); a Node-to-Web stream adapter for small HTTP/2 answers without ` +
    `Content-Length (now handed over whole when they end with their headers). Not possible with the same semantics: a lazy request.signal (new Request(request) ` +
    `and fetch(request) read the original's internal signal, so a forwarded request would no longer abort when the client goes away), a lighter stand-in for ` +
    `Request (brand checks in new Request(request) and fetch(request) on Node and Deno), writing a Response body without its stream (no runtime tells a complete ` +
    `body from a streaming one before it is read). Fixed in earlier rounds: one client TLS context and one PEM per SVID; a per-origin limit in front of the ` +
    `HTTP/1.1 agent; Deno's HTTP/1.1 keep-alive (denoland/deno#35609); no client Request for body-less calls; one timer per request instead of ` +
    `AbortSignal.timeout + AbortSignal.any; no body timer for body-less requests; a shared peer identity; header name/value pairs instead of an intermediate ` +
    `Headers object; a body complete within the current turn written with its Content-Length in one end(). New connections — the two TLS handshakes dominate; ` +
    `ours adds reading the peer's chain on both ends (getPeerCertificate(true) on Node and Deno; on Bun from the connection's BoringSSL session, ~10× cheaper: RuntimeProfile.readPeerChain), the fresh client's full chain verification, the server's cached verification + authorizer, and h2 session set-up.`,
);

await ours.close();
await new Promise<void>((resolve) => baseServer.close(() => resolve()));
process.exit(0);
