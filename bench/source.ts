// Bench: X509Source against the development Workload API server on a Unix socket, next to
// baselines measured in the same process, same run, same socket: a bare Connect-ES client
// (`createClient(SpiffeWorkloadAPI, transport)` over node:http2, the same transport settings
// as ours) reading FetchX509SVID without any validation.
//   1. X509Source.create({ address }) → resolved with the first SVID (fresh source each time,
//      closed after), vs. a fresh raw client's first FetchX509SVID message.
//   2. server.rotate() → the source's onUpdate showing a new serial number, vs. the same
//      rotation seen by a raw FetchX509SVID stream (new serial in the first leaf's DER).
// Times are per-sample p50/p99 (nearest rank); the figure and its baseline are interleaved so
// machine noise hits both alike. For times, lower is better (ratio = figure ÷ baseline).
// Run: `node bench/source.ts`, `bun bench/source.ts`, `deno run -A bench/source.ts`.
// Prints `BENCH_RESULT {json}` lines (collected by bench/run.mjs) and `BENCH_NOTE` lines.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpiffeWorkloadAPI } from "../gen/workload_pb.ts";
import { createTestCa, startWorkloadApiServer } from "../src/testing/mod.ts";
import { percentile, WAIT_MS, within } from "./_stats.ts";
import { X509Source } from "../src/adapters/node/mod.ts";

const CREATE_N = 200; // p99 needs more than 50 samples to be more than the single slowest one
const ROTATE_N = 400;
const ROTATE_BLOCK = 10; // rotations per open source / raw stream, alternating
const WARMUP = 5;

const dir = mkdtempSync(join(tmpdir(), "bench-source-"));
const socketPath = join(dir, "agent.sock");
const ca = await createTestCa({ trustDomain: "example.org" });
const server = await startWorkloadApiServer({ socketPath, ca, workloads: [{ id: "spiffe://example.org/web" }] });
const address = server.address;

// ---- the raw baseline client -------------------------------------------------------------

const addSecurityHeader: Interceptor = (next) => (req) => {
  req.header.set("workload.spiffe.io", "true");
  return next(req);
};

interface RawClient {
  readonly rpc: ReturnType<typeof createClient<typeof SpiffeWorkloadAPI>>;
  close(): void;
}

/** A bare Connect-ES client on the socket: same transport settings as src/workloadapi/transport.ts. */
function rawClient(): RawClient {
  const sessionManager = new Http2SessionManager("http://localhost", { pingIntervalMs: 30_000 }, { createConnection: () => net.connect(socketPath) });
  const transport = createGrpcTransport({ baseUrl: "http://localhost", sessionManager, interceptors: [addSecurityHeader] });
  return {
    rpc: createClient(SpiffeWorkloadAPI, transport),
    close: () => sessionManager.abort(new ConnectError("bench client closed", Code.Canceled)),
  };
}

/** Serial number (hex) of the first certificate of a DER chain: Certificate → TBSCertificate → [0] version → INTEGER. */
function firstSerial(der: Uint8Array): string {
  let pos = 0;
  const header = (): { tag: number; len: number } => {
    const tag = der[pos++]!;
    let len = der[pos++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[pos++]!;
    }
    return { tag, len };
  };
  header(); // Certificate SEQUENCE
  header(); // TBSCertificate SEQUENCE
  let h = header();
  if (h.tag === 0xa0) {
    pos += h.len; // explicit version
    h = header();
  }
  if (h.tag !== 0x02) throw new Error("bench: no serial number in the served certificate");
  let hex = "";
  for (let i = pos; i < pos + h.len; i++) hex += der[i]!.toString(16).padStart(2, "0");
  return hex;
}

// ---- helpers -------------------------------------------------------------------------------

function report(name: string, value: number, baselineName: string, baseline: number): void {
  const line = {
    bench: "source",
    name,
    unit: "ms",
    value: Math.round(value * 1000) / 1000,
    baselineName,
    baseline: Math.round(baseline * 1000) / 1000,
    ratio: Math.round((value / baseline) * 100) / 100,
    better: "lower",
  };
  console.log(`BENCH_RESULT ${JSON.stringify(line)}`);
}

// ---- 1. create → first SVID ----------------------------------------------------------------

async function sourceCreate(): Promise<number> {
  const start = performance.now();
  const source = await within(X509Source.create({ address, timeoutMs: WAIT_MS }), "X509Source.create");
  const ms = performance.now() - start;
  source.getX509Svid();
  await source.close();
  return ms;
}

async function rawFirst(): Promise<number> {
  const start = performance.now();
  const client = rawClient();
  try {
    const first = async (): Promise<number> => {
      for await (const msg of client.rpc.fetchX509SVID({})) {
        const ms = performance.now() - start;
        if (!msg.svids[0]?.x509Svid.length) throw new Error("bench: raw stream sent no SVID");
        return ms; // leaving the loop cancels the stream
      }
      throw new Error("bench: raw stream ended without a message");
    };
    return await within(first(), "raw FetchX509SVID first message");
  } finally {
    client.close();
  }
}

for (let i = 0; i < WARMUP; i++) {
  await sourceCreate();
  await rawFirst();
}
const createTimes: number[] = [];
const rawFirstTimes: number[] = [];
for (let i = 0; i < CREATE_N; i++) {
  // Alternate which one goes first, so neither always follows the other's teardown.
  if (i % 2 === 0) {
    createTimes.push(await sourceCreate());
    rawFirstTimes.push(await rawFirst());
  } else {
    rawFirstTimes.push(await rawFirst());
    createTimes.push(await sourceCreate());
  }
}

// ---- 2. rotate → update event --------------------------------------------------------------

const rotateCallTimes: number[] = []; // how long server.rotate() itself takes (issuing the new SVID)

/** Calls server.rotate() and resolves with the ms until `seen` reports a serial different from `before`. */
async function timeRotation(waitForNew: (before: string) => Promise<number>, before: string): Promise<number> {
  const seen = waitForNew(before);
  const start = performance.now();
  await server.rotate();
  rotateCallTimes.push(performance.now() - start);
  return (await within(seen, "rotation to reach the client")) - start;
}

/** Serial watcher: `next(before)` resolves with the arrival time of the first serial ≠ before. */
function serialWatcher(): { push(serial: string): void; next(before: string): Promise<number>; latest(): string } {
  let latest = "";
  let waiter: { before: string; resolve: (t: number) => void } | undefined;
  return {
    push(serial: string): void {
      const t = performance.now();
      latest = serial;
      if (waiter && serial !== waiter.before) {
        const w = waiter;
        waiter = undefined;
        w.resolve(t);
      }
    },
    next(before: string): Promise<number> {
      return new Promise((resolve) => {
        waiter = { before, resolve };
      });
    },
    latest: () => latest,
  };
}

async function sourceRotations(count: number, out: number[] | undefined): Promise<void> {
  const source = await X509Source.create({ address, timeoutMs: WAIT_MS });
  const watcher = serialWatcher();
  watcher.push(source.getX509Svid().serialNumber);
  const unsubscribe = source.onUpdate(({ svid }) => watcher.push(svid.serialNumber));
  try {
    for (let i = 0; i < count; i++) {
      const ms = await timeRotation((b) => watcher.next(b), watcher.latest());
      out?.push(ms);
    }
  } finally {
    unsubscribe();
    await source.close();
  }
}

async function rawRotations(count: number, out: number[] | undefined): Promise<void> {
  const client = rawClient();
  const abort = new AbortController();
  const watcher = serialWatcher();
  let firstSeen!: () => void;
  const first = new Promise<void>((r) => (firstSeen = r));
  const reading = (async () => {
    try {
      for await (const msg of client.rpc.fetchX509SVID({}, { signal: abort.signal })) {
        const der = msg.svids[0]?.x509Svid;
        if (!der?.length) throw new Error("bench: raw stream sent no SVID");
        watcher.push(firstSerial(der));
        firstSeen();
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  try {
    await within(first, "raw FetchX509SVID first message");
    for (let i = 0; i < count; i++) {
      const ms = await timeRotation((b) => watcher.next(b), watcher.latest());
      out?.push(ms);
    }
  } finally {
    abort.abort();
    client.close();
    await reading;
  }
}

await sourceRotations(WARMUP, undefined);
await rawRotations(WARMUP, undefined);
const updateTimes: number[] = [];
const rawUpdateTimes: number[] = [];
for (let b = 0; b < ROTATE_N / ROTATE_BLOCK; b++) {
  if (b % 2 === 0) {
    await sourceRotations(ROTATE_BLOCK, updateTimes);
    await rawRotations(ROTATE_BLOCK, rawUpdateTimes);
  } else {
    await rawRotations(ROTATE_BLOCK, rawUpdateTimes);
    await sourceRotations(ROTATE_BLOCK, updateTimes);
  }
}

// ---- tear down, report ---------------------------------------------------------------------

await server[Symbol.asyncDispose]();
rmSync(dir, { recursive: true, force: true });

const RAW_FIRST = "raw Connect client: new transport → first FetchX509SVID message";
const RAW_ROTATE = "raw Connect stream: rotate() → rotated message (new serial)";
report("create→first SVID p50", percentile(createTimes, 50), `${RAW_FIRST} p50`, percentile(rawFirstTimes, 50));
report("create→first SVID p99", percentile(createTimes, 99), `${RAW_FIRST} p99`, percentile(rawFirstTimes, 99));
report("rotate→onUpdate p50", percentile(updateTimes, 50), `${RAW_ROTATE} p50`, percentile(rawUpdateTimes, 50));
report("rotate→onUpdate p99", percentile(updateTimes, 99), `${RAW_ROTATE} p99`, percentile(rawUpdateTimes, 99));
const f = (x: number): string => `${x.toFixed(2)} ms`;
console.log(
  `BENCH_NOTE times: lower is better; ratio = figure ÷ baseline (1.00 = no overhead over bare gRPC). ` +
    `Samples: ${CREATE_N} fresh sources and ${CREATE_N} fresh raw clients (interleaved), ${ROTATE_N} rotations each for a source and a raw stream ` +
    `(alternating blocks of ${ROTATE_BLOCK}); p99 is nearest-rank. ` +
    `The rotate figures start before server.rotate(), which itself takes p50 ${f(percentile(rotateCallTimes, 50))} (issuing a new P-256 SVID), in both figure and baseline. ` +
    `What the source adds: X.509 context validation (DER parsing of SVID chain and bundle, key ↔ certificate match, chain verification against the bundle) ` +
    `and, for create, the client/source set-up.`,
);
