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
import { Buffer } from "node:buffer";
import { mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { authorizeId, authorizeMemberOf, X509Source, X509Svid } from "../mod.ts";
import { createMtlsClient, type MtlsServer, serveMtls } from "../src/adapters/node/mod.ts";
import { createTestCa, FakeX509Source, startWorkloadApiServer, type TestCa } from "../src/testing/mod.ts";
import { percentile } from "./_stats.ts";

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";
const CONC = 4; // concurrent clients
const ROUNDS = 3; // interleaved rounds per figure
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 700);
const ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 100);
const MEM_CONNECTIONS = Number(process.env.BENCH_MEM_CONNECTIONS ?? 10_000);
const MEM_ROTATIONS = Number(process.env.BENCH_MEM_ROTATIONS ?? 1000);
const WAIT_MS = 10_000;
/** Sections to run (comma-separated; default all): new, kept, rotate, memory. */
const ONLY = new Set((process.env.BENCH_ONLY ?? "new,kept,rotate,memory").split(","));

const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const isBun = runtime === "bun";

// ---- helpers -------------------------------------------------------------------------------

function result(line: Record<string, unknown>): void {
  console.log(`BENCH_RESULT ${JSON.stringify({ bench: "mtls", ...line })}`);
}
const r2 = (n: number): number => Math.round(n * 100) / 100;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench: ${what} took more than ${WAIT_MS} ms`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

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
const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

/** Runs `op` in `conc` loops for `ms`; answers operations per second. */
async function throughput(op: () => Promise<void>, conc: number, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let count = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < end) {
        await within(op(), "one request");
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** Interleaved rounds of figure and baseline; answers [ours, baseline] in ops/s (totals over the rounds). */
async function paired(ours: () => Promise<void>, base: () => Promise<void>, conc: number): Promise<[number, number]> {
  await throughput(ours, conc, 200); // warm-up
  await throughput(base, conc, 200);
  let a = 0;
  let b = 0;
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      a += await throughput(ours, conc, ROUND_MS);
      b += await throughput(base, conc, ROUND_MS);
    } else {
      b += await throughput(base, conc, ROUND_MS);
      a += await throughput(ours, conc, ROUND_MS);
    }
  }
  return [a / ROUNDS, b / ROUNDS];
}

// ---- certificates --------------------------------------------------------------------------

const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
async function svidOf(c: TestCa, id: string): Promise<X509Svid> {
  const issued = await c.issueX509Svid({ id });
  return X509Svid.parse(issued.certificates, issued.privateKey);
}
const serverSvid = await svidOf(ca, SERVER_ID);
const clientSvid = await svidOf(ca, CLIENT_ID);
const serverPem = serverSvid.toPem();
const clientPem = clientSvid.toPem();
const caPem = ca.x509Bundle.toPem();
const serverSource = new FakeX509Source({ svid: serverSvid, bundles: [ca.x509Bundle] });
const clientSource = new FakeX509Source({ svid: clientSvid, bundles: [ca.x509Bundle] });
const serverAuthz = authorizeMemberOf("example.org");
const clientAuthz = authorizeId(SERVER_ID);
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

async function oursNewConnection(): Promise<void> {
  const client = createMtlsClient({ source: clientSource, authorizer: clientAuthz });
  try {
    const body = (await (await client.get(oursUrl)).json()) as { ok?: boolean };
    if (body.ok !== true) throw new Error("bench: unexpected body");
  } finally {
    await client.close();
  }
}

// Kept-alive clients, one per protocol. HTTP/1.1: the same number of sockets as the baseline agent.
const keptH2 = createMtlsClient({ source: clientSource, authorizer: clientAuthz, http2: true });
const keptH1 = createMtlsClient({ source: clientSource, authorizer: clientAuthz, http2: false, pool: { maxPerOrigin: CONC } });
const keptGet = (client: typeof keptH2) => async (): Promise<void> => {
  const body = (await (await client.get(oursUrl)).json()) as { ok?: boolean };
  if (body.ok !== true) throw new Error("bench: unexpected body");
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
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port: basePort, path: "/hello", method: "GET", agent, ...baseClientTls, ...creds }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { ok?: boolean };
          if (body.ok !== true) throw new Error("bench: unexpected body");
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
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
  const session = baseH2Session;
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": "/hello" });
    const chunks: Uint8Array[] = [];
    stream.on("data", (c: Uint8Array) => chunks.push(c));
    stream.on("error", reject);
    stream.on("end", () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { ok?: boolean };
        if (body.ok !== true) throw new Error("bench: unexpected body");
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });
}

// ---- 1. new connections per second ---------------------------------------------------------

const NEW_BASE = isBun
  ? "Bun tls.createServer({ key, cert, ca, requestCert, rejectUnauthorized }) + http, https.request({ key, cert, ca, agent: false })"
  : "https.createServer({ key, cert, ca, requestCert, rejectUnauthorized }) + https.request({ key, cert, ca, agent: false })";
for (const conc of ONLY.has("new") ? [1, CONC] : []) {
  const [a, b] = await paired(oursNewConnection, () => baseGet(false), conc);
  result({
    name: `new mTLS connections/s (fresh client per connection, ${conc === 1 ? "sequential" : `${conc} concurrent`})`,
    unit: "conn/s",
    value: r2(a),
    baselineName: NEW_BASE,
    baseline: r2(b),
    ratio: r2(a / b),
    target: 0.8,
  });
}

// ---- 2. kept-alive requests per second -----------------------------------------------------

// Like for like: ours over HTTP/2 (one multiplexed session, the client's default on Node and
// Bun) vs a native HTTP/2 session, and ours over HTTP/1.1 (the default on Deno) vs a native
// keep-alive agent with as many sockets.
const KEPT = [
  { proto: "HTTP/2", ours: keptGet(keptH2), base: baseH2Get, baseName: "http2.createSecureServer({ key, cert, ca, requestCert }) + one http2.connect session, same certificates, plain ca verification" },
  { proto: "HTTP/1.1", ours: keptGet(keptH1), base: () => baseGet(baseAgent), baseName: `https server + https.Agent({ keepAlive: true, maxSockets: ${CONC} }); ours with pool.maxPerOrigin ${CONC}` },
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
await keptH2.close();
await keptH1.close();
baseAgent.destroy();
baseH2Session?.close();

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
// Ours and the native stack measured the same way, in the same process: warm-up, forced GC,
// RSS, the run, forced GC, RSS. The native growth shows what the runtime itself keeps.

/** Runs `op` `n` times over CONC concurrent loops. */
async function repeat(n: number, op: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next++ < n) await within(op(), "one connection");
    }),
  );
}

/** RSS growth (MiB) over `run`, after a forced GC on both ends. */
async function growth(run: () => Promise<void>): Promise<number> {
  await collect();
  const before = rssMiB();
  await run();
  await collect();
  return rssMiB() - before;
}

let connSeconds = 0;
if (ONLY.has("memory")) {
  const memStart = performance.now();
  await repeat(500, oursNewConnection); // warm-up, both stacks
  await repeat(500, () => baseGet(false));
  const baseConn = await growth(() => repeat(MEM_CONNECTIONS, () => baseGet(false)));
  const oursConn = await growth(() => repeat(MEM_CONNECTIONS, oursNewConnection));
  connSeconds = (performance.now() - memStart) / 1000;

  // Rotations: server and a long-lived client both rotate; a request every 10 rotations (each
  // one on a new connection, since a rotation retires the client's idle connections).
  const memServerSource = new FakeX509Source({ svid: serverSvid, bundles: [ca.x509Bundle] });
  const memClientSource = new FakeX509Source({ svid: clientSvid, bundles: [ca.x509Bundle] });
  const memServer = await serveMtls({ source: memServerSource, authorizer: serverAuthz, port: 0, hostname: "127.0.0.1", fetch: () => new Response(BODY) });
  const memClient = createMtlsClient({ source: memClientSource, authorizer: clientAuthz });
  const memUrl = `https://127.0.0.1:${memServer.port}/hello`;
  // A pool of pre-issued SVIDs, cycled: every set is a new SVID object (a rotation for the
  // adapter), and the pool's own memory is allocated before the warm-up.
  const POOL = 40;
  const serverPool: X509Svid[] = [];
  const clientPool: X509Svid[] = [];
  for (let i = 0; i < POOL; i++) {
    serverPool.push(await svidOf(ca, SERVER_ID));
    clientPool.push(await svidOf(ca, CLIENT_ID));
  }
  const serverPems = serverPool.map((svid) => svid.toPem());
  const clientPems = clientPool.map((svid) => svid.toPem());
  let rotation = 0;
  const oursRotations = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      rotation++;
      memServerSource.setX509Svid(serverPool[rotation % POOL]!);
      memClientSource.setX509Svid(clientPool[rotation % POOL]!);
      if (i % 10 === 9) await (await within(memClient.get(memUrl), "request after rotation")).text();
    }
  };
  // Native: the baseline server swaps its context (setSecureContext) with the same PEMs, and a
  // request every 10 rotations on a new connection presenting the rotated client PEM.
  const rotatable = baseServer as unknown as { setSecureContext?: (o: tls.SecureContextOptions) => void };
  const baseRotations = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      rotation++;
      const sp = serverPems[rotation % POOL]!;
      rotatable.setSecureContext!({ key: sp.privateKey, cert: sp.certificates, ca: caPem });
      if (i % 10 === 9) {
        const cp = clientPems[rotation % POOL]!;
        await within(baseGetWith({ key: cp.privateKey, cert: cp.certificates }), "native request after rotation");
      }
    }
  };
  const canRotateBase = typeof rotatable.setSecureContext === "function";
  await oursRotations(100); // warm-up
  if (canRotateBase) await baseRotations(100);
  const baseRot = canRotateBase ? await growth(() => baseRotations(MEM_ROTATIONS)) : undefined;
  const oursRot = await growth(() => oursRotations(MEM_ROTATIONS));
  if (canRotateBase) rotatable.setSecureContext!({ key: serverPem.privateKey, cert: serverPem.certificates, ca: caPem });
  await memClient.close();
  await memServer.close();

  /** Ours next to the native growth: a ratio when the native growth is clearly above zero, else the difference. */
  const memResult = (name: string, ours: number, base: number | undefined, baseName: string): void => {
    if (base === undefined) return result({ name, unit: "MiB", value: r2(ours), baselineName: `${baseName}: not measurable on ${runtime}`, baseline: "n/a", ratio: "n/a", better: "lower" });
    const useRatio = base >= 1;
    result({ name, unit: "MiB", value: r2(ours), baselineName: baseName, baseline: r2(base), ...(useRatio ? { ratio: r2(ours / base) } : { difference: r2(ours - base) }), better: "lower" });
  };
  memResult(
    `RSS growth after ${MEM_CONNECTIONS} connections (fresh client each, ${CONC} concurrent)`,
    oursConn,
    baseConn,
    `native RSS growth after ${MEM_CONNECTIONS} connections (https.request agent: false, same server kind as figure 1)`,
  );
  memResult(
    `RSS growth after ${MEM_ROTATIONS} rotations (server + client, FakeX509Source, ${POOL} pre-issued SVIDs cycled)`,
    oursRot,
    baseRot,
    `native RSS growth after ${MEM_ROTATIONS} setSecureContext rotations (same PEMs, a new-connection request every 10)`,
  );
}
console.log(
  `BENCH_NOTE new connections: a fresh createMtlsClient per connection (its peer-verification cache starts empty, so the client verifies the server's chain in full each time; ` +
    `the server's cache hits for the repeated client chain); our client offers h2 and serveMtls picks it, the baseline speaks HTTP/1.1. ` +
    `Kept-alive: HTTP/2 = ours (one session) vs a native http2 session; HTTP/1.1 = ours (http2: false, ${CONC} sockets) vs a native keep-alive agent with ${CONC} sockets. ` +
    `Throughput = mean of ${ROUNDS} interleaved ${ROUND_MS} ms rounds. ` +
    `Rotation: ${ROTATIONS} rotations, sequential probe handshakes (each ≈ one handshake of resolution) from before rotate() until one shows the new leaf. ` +
    `Memory: RSS after ${gcAvailable ? "forced GC" : "no forced GC (gc not exposed)"}, ours and the native stack measured the same way in the same process ` +
    `(the difference is shown when the native growth is under 1 MiB); the connection runs took ${connSeconds.toFixed(0)} s.`,
);

console.log(
  `BENCH_NOTE what limits the ratios (node --cpu-prof, Node 24): kept-alive — no SPIFFE work per request (verification runs once per connection); ` +
    `the gap is the Fetch objects on both ends, which the native baselines do not build: per request on Node, new Request ≈ 5.6 µs, a Response over the ` +
    `HTTP/2 stream read with .json() ≈ 18 µs, new Response(string) ≈ 8.6 µs, and the server's Request from the HTTP/2 compat request (headers, URL, ` +
    `abort signal); in the 8-concurrent HTTP/2 profile undici Request/Response/Headers are ~10% of CPU, web streams ~4%, GC ~11% (vs ~5% for the ` +
    `native pair), our adapter code ~6%. New connections — the two TLS handshakes dominate; ours adds getPeerCertificate(true) on both ends (Node builds ` +
    `a detailed object per certificate: ~4% client, ~2.5% server), the fresh client's full chain verification (two ECDSA verifies: ~0.25 ms on Node/Bun, ` +
    `~1 ms on Deno's WebCrypto), the server's cached verification + authorizer, and h2 session set-up. ` +
    `Fixed while measuring: the client re-parsed its key and chain into a new TLS context on every connection and re-encoded the SVID as PEM per client ` +
    `(now one context and one PEM per SVID); HTTP/1.1 bursts over pool.maxPerOrigin churned connections (the agent counts a socket delivered after ` +
    `verification only once it arrives, overshot maxSockets, then destroyed the extras: now a per-origin limit in front of the agent); Deno's node:http ` +
    `server closed every connection after one response because serveMtls's HTTP/1.1 server never listens itself (denoland/deno#35609): it now reports ` +
    `the TLS server's listening state; per request, the client builds no Request for body-less calls and one timer instead of AbortSignal.timeout + ` +
    `AbortSignal.any, the server arms no body timer for body-less requests, and the verified peer identity is shared instead of copied.`,
);

await ours.close();
await new Promise<void>((resolve) => baseServer.close(() => resolve()));
process.exit(0);
