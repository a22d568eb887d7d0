// One memory measurement of bench/mtls.ts, in a process of its own (bench/mtls.ts spawns this
// file with the same runtime once per measurement), so that no run reuses memory another
// run's heap or TLS stack left behind. Usage (the runtime's GC flag as bench/run.mjs passes it):
//   BENCH_MEM_MODE=conn-ours|conn-native|rot-ours|rot-native [BENCH_MEM_N=10000]
//   [BENCH_MEM_CHECKPOINTS=4] node --expose-gc bench/_mtls-memory.ts
// Prints one `BENCH_MEM {json}` line: RSS (and JS heap) growth in MiB after a warm-up and a
// forced GC, at each checkpoint (n/checkpoints, 2n/checkpoints, … n operations).
import * as http from "node:http";
import * as https from "node:https";
import * as tls from "node:tls";
import type { X509Svid } from "../mod.ts";
import { runtimeEntry } from "../tests/support/runtime-entry.ts";
import { FakeX509Source } from "../src/testing/mod.ts";
import { ca, caPem, checkOk, CLIENT_ID, clientAuthz, clientPem, clientSvid, readOk, SERVER_ID, serverAuthz, serverPem, serverSvid, svidOf } from "./_mtls-fixtures.ts";
import { within } from "./_stats.ts";
const { createMtlsClient, serveMtls } = runtimeEntry; // the entry of the runtime running the bench (its fixes included)

const MODE = process.env.BENCH_MEM_MODE ?? "conn-ours";
const N = Number(process.env.BENCH_MEM_N ?? 10_000);
const CHECKPOINTS = Math.max(1, Number(process.env.BENCH_MEM_CHECKPOINTS ?? 1));
const CONC = 4;
const POOL = 40;
const BODY = JSON.stringify({ ok: true, n: 1 });
const isBun = "Bun" in globalThis;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let gcAvailable = false;
async function collect(): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  for (let i = 0; i < 3; i++) {
    if (bun) bun.gc(true);
    else g?.();
    await sleep(50);
  }
  gcAvailable = !!bun || typeof g === "function";
}
const mib = (n: number): number => Math.round((n / 2 ** 20) * 100) / 100;
const reading = (): { rss: number; heap: number } => {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
};


/** Runs `op` `n` times over CONC concurrent loops. */
async function repeat(n: number, op: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next++ < n) await within(op(), "one operation");
    }),
  );
}


/** One measured operation, a warm-up count and a clean-up, per mode. */
async function setUp(): Promise<{ op: () => Promise<void>; warmUp: number; close: () => Promise<void> }> {
  if (MODE === "conn-ours" || MODE === "rot-ours") {
    const serverSource = new FakeX509Source({ svid: serverSvid, bundles: [ca.x509Bundle] });
    const clientSource = new FakeX509Source({ svid: clientSvid, bundles: [ca.x509Bundle] });
    const server = await serveMtls({ source: serverSource, authorizer: serverAuthz, port: 0, hostname: "127.0.0.1", fetch: () => new Response(BODY, { headers: { "content-type": "application/json" } }) });
    const url = `https://127.0.0.1:${server.port}/hello`;
    if (MODE === "conn-ours") {
      // A fresh client per connection (closed after): every request is a new handshake.
      const op = async (): Promise<void> => {
        const client = createMtlsClient({ source: clientSource, authorizer: clientAuthz });
        try {
          checkOk(await (await client.get(url)).json());
        } finally {
          await client.close();
        }
      };
      return { op, warmUp: 500, close: () => server.close() };
    }
    // Rotations: server and a long-lived client both rotate (a pool of pre-issued SVIDs,
    // cycled: every set is a new SVID object); a request every 10 rotations (each on a new
    // connection, since a rotation retires the client's idle connections).
    const client = createMtlsClient({ source: clientSource, authorizer: clientAuthz });
    const serverPool: X509Svid[] = [];
    const clientPool: X509Svid[] = [];
    for (let i = 0; i < POOL; i++) {
      serverPool.push(await svidOf(ca, SERVER_ID));
      clientPool.push(await svidOf(ca, CLIENT_ID));
    }
    let rotation = 0;
    const op = async (): Promise<void> => {
      rotation++;
      serverSource.setX509Svid(serverPool[rotation % POOL]!);
      clientSource.setX509Svid(clientPool[rotation % POOL]!);
      if (rotation % 10 === 0) await (await within(client.get(url), "request after rotation")).text();
    };
    return { op, warmUp: 100, close: async () => { await client.close(); await server.close(); } };
  }

  // Native: the runtime's own TLS server with plain `ca` verification (on Bun, whose https
  // server cannot do mTLS, tls.createServer + http, as serveMtls does).
  const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.setHeader("content-type", "application/json");
    res.end(BODY);
  };
  const baseTls = { key: serverPem.privateKey, cert: serverPem.certificates, ca: caPem, requestCert: true, rejectUnauthorized: true };
  let server: tls.Server;
  if (isBun) {
    const httpServer = http.createServer(handler);
    server = tls.createServer(baseTls);
    server.on("secureConnection", (socket) => httpServer.emit("connection", socket));
  } else {
    server = https.createServer(baseTls, handler);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  const get = (key: string, cert: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = https.request({ host: "127.0.0.1", port, path: "/hello", agent: false, key, cert, ca: caPem, checkServerIdentity: () => undefined }, (res) => {
        readOk(res).then(resolve, reject);      });
      req.on("error", reject);
      req.end();
    });
  const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  if (MODE === "conn-native") return { op: () => get(clientPem.privateKey, clientPem.certificates), warmUp: 500, close };
  if (MODE !== "rot-native") throw new Error(`bench: unknown BENCH_MEM_MODE ${MODE}`);
  // The server swaps its context (setSecureContext) with the same kind of PEMs, and a request
  // every 10 rotations on a new connection presenting the rotated client PEM.
  const rotatable = server as unknown as { setSecureContext?: (o: tls.SecureContextOptions) => void };
  if (typeof rotatable.setSecureContext !== "function") {
    console.log(`BENCH_MEM ${JSON.stringify({ mode: MODE, unsupported: true })}`);
    process.exit(0);
  }
  const serverPems: { privateKey: string; certificates: string }[] = [];
  const clientPems: { privateKey: string; certificates: string }[] = [];
  for (let i = 0; i < POOL; i++) {
    serverPems.push((await svidOf(ca, SERVER_ID)).toPem());
    clientPems.push((await svidOf(ca, CLIENT_ID)).toPem());
  }
  let rotation = 0;
  const op = async (): Promise<void> => {
    rotation++;
    const sp = serverPems[rotation % POOL]!;
    rotatable.setSecureContext!({ key: sp.privateKey, cert: sp.certificates, ca: caPem });
    if (rotation % 10 === 0) {
      const cp = clientPems[rotation % POOL]!;
      await within(get(cp.privateKey, cp.certificates), "native request after rotation");
    }
  };
  return { op, warmUp: 100, close };
}

const { op, warmUp, close } = await setUp();
// Rotations run one at a time (each swaps the context); connections CONC at a time.
const run = (n: number): Promise<void> => (MODE.startsWith("rot") ? (async () => { for (let i = 0; i < n; i++) await op(); })() : repeat(n, op));
await run(warmUp);
await collect();
const start = reading();
const started = performance.now();
const points: { n: number; rss: number; heap: number }[] = [];
for (let c = 1; c <= CHECKPOINTS; c++) {
  const step = Math.round((N * c) / CHECKPOINTS) - Math.round((N * (c - 1)) / CHECKPOINTS);
  await run(step);
  await collect();
  const now = reading();
  points.push({ n: Math.round((N * c) / CHECKPOINTS), rss: mib(now.rss - start.rss), heap: mib(now.heap - start.heap) });
}
const seconds = (performance.now() - started) / 1000;
await close();
console.log(`BENCH_MEM ${JSON.stringify({ mode: MODE, n: N, gc: gcAvailable, seconds: Math.round(seconds), startRss: mib(start.rss), points })}`);
process.exit(0);
