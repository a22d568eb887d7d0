// Bench: what the observability costs on the path it instruments, new connections to
// `serveMtls` from a fresh `createMtlsClient` each (full handshake, both sides verify the peer
// as an X.509-SVID, one small JSON request), with the SDK's OpenTelemetry binding on vs off in
// the same process, same run, interleaved rounds. "On" is `enableTelemetry` with the
// OpenTelemetry SDK's MeterProvider (a periodic reader) and a BasicTracerProvider with a batch
// span processor (Workload API spans; peer verification spans not opted in); "on+spans+audit"
// adds a span per peer verification and the audit log (to a logger that discards). Target:
// on ≥ 0.95 × off. Then, with less noise than whole connections on a shared machine: the time
// the instrumentation adds to one peer verification (the SDK's step, verification stubbed), µs.
// Run: `node bench/telemetry.ts`, `bun bench/telemetry.ts`, `deno run -A bench/telemetry.ts`.
// Prints `BENCH_RESULT {json}` lines.
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { addSpiffeTrace, createAuditLog, enableTelemetry, SpiffeId, type Telemetry } from "../mod.ts";
import { observeHandshake } from "../src/observability/handshake-events.ts";
import { FakeX509Source } from "../src/testing/mod.ts";
import { runtimeEntry } from "../tests/support/runtime-entry.ts";
import { within } from "./_stats.ts";
import { ca, checkOk, clientAuthz, clientSvid, serverAuthz, serverSvid } from "./_mtls-fixtures.ts";
const { createMtlsClient, serveMtls } = runtimeEntry;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6); // interleaved rounds per figure
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 700);
const CONC = 4;

const serverSource = new FakeX509Source({ svid: serverSvid, bundles: [ca.x509Bundle] });
const clientSource = new FakeX509Source({ svid: clientSvid, bundles: [ca.x509Bundle] });
const BODY = JSON.stringify({ ok: true, n: 1 });
const server = await serveMtls({ source: serverSource, authorizer: serverAuthz, port: 0, hostname: "127.0.0.1", fetch: () => new Response(BODY, { headers: { "content-type": "application/json" } }) });
const url = `https://127.0.0.1:${server.port}/hello`;

async function newConnection(): Promise<void> {
  const client = createMtlsClient({ source: clientSource, authorizer: clientAuthz });
  try {
    checkOk(await (await client.get(url)).json());
  } finally {
    await client.close();
  }
}

async function throughput(conc: number, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let count = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < end) {
        await within(newConnection(), "one new connection");
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 1000 })] });
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] });

/** A configuration: what turning it on does; returns what turns it off. */
type Setting = () => Promise<() => void>;
const off: Setting = async () => () => {};
const on: Setting = async () => {
  const t: Telemetry = await enableTelemetry({ meterProvider, tracerProvider });
  return () => t.disable();
};
const full: Setting = async () => {
  const t = await enableTelemetry({ meterProvider, tracerProvider, peerVerificationSpans: true });
  const remove = addSpiffeTrace(createAuditLog({ info: () => {}, warn: () => {} }, { maxLinesPerInterval: 1_000_000 }));
  return () => {
    t.disable();
    remove();
    spans.reset();
  };
};

async function measure(setting: Setting, conc: number): Promise<number> {
  const stop = await setting();
  try {
    return await throughput(conc, ROUND_MS);
  } finally {
    stop();
  }
}

/** Interleaved rounds of `a` and `b` (order alternating); answers the mean rates [a, b]. */
async function paired(a: Setting, b: Setting, conc: number): Promise<[number, number]> {
  await measure(a, conc); // warm-up
  await measure(b, conc); // warm-up
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      sa += await measure(a, conc);
      sb += await measure(b, conc);
    } else {
      sb += await measure(b, conc);
      sa += await measure(a, conc);
    }
  }
  return [sa / ROUNDS, sb / ROUNDS];
}

const r2 = (n: number): number => Math.round(n * 100) / 100;
for (const conc of [1, CONC]) {
  for (const [name, setting] of [["on", on], ["on+spans+audit", full]] as const) {
    const [withTelemetry, without] = await paired(setting, off, conc);
    console.log(`BENCH_RESULT ${JSON.stringify({ bench: "telemetry", name: `new connections/s, telemetry ${name}, ${conc === 1 ? "sequential" : `${conc} concurrent`}`, unit: "conn/s", value: r2(withTelemetry), baselineName: "telemetry off", baseline: r2(without), ratio: r2(withTelemetry / without), target: 0.95 })}`);
  }
}
// What the instrumentation adds to one verification: observeHandshake around a verification
// that resolves at once, 50,000 times per setting.
const peer = { id: SpiffeId.parse("spiffe://example.org/client") };
const socket = { remoteAddress: "127.0.0.1", remotePort: 40000 };
async function perVerificationUs(setting: Setting): Promise<number> {
  const stop = await setting();
  try {
    const n = 50_000;
    for (let i = 0; i < 5_000; i++) await observeHandshake(socket, "server", "mtls", () => Promise.resolve(peer));
    const start = performance.now();
    for (let i = 0; i < n; i++) await observeHandshake(socket, "server", "mtls", () => Promise.resolve(peer));
    return ((performance.now() - start) * 1000) / n;
  } finally {
    stop();
  }
}
const base = await perVerificationUs(off);
for (const [name, setting] of [["on", on], ["on+spans+audit", full]] as const) {
  const us = await perVerificationUs(setting);
  console.log(`BENCH_RESULT ${JSON.stringify({ bench: "telemetry", name: `one peer verification, telemetry ${name}`, unit: "µs", value: r2(us), baselineName: "telemetry off", baseline: r2(base), difference: r2(us - base), better: "lower" })}`);
}
await server.close();
await meterProvider.shutdown();
await tracerProvider.shutdown();
