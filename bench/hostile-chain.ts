// Bench: the CPU a peer can make verifyX509Svid spend BEFORE it is authenticated. For each
// hostile chain of bench/_hostile-chains.ts (inside the input caps: ≤ 16 certificates,
// ≤ 1 MiB), the median CPU ms (process.cpuUsage: every thread of the process, Web Crypto's
// included) and wall ms per verifyX509Svid call, sequential and 4 in parallel, next to a
// valid P-256 leaf → intermediate → root chain measured in the same run. Targets: each
// hostile chain within 20× of the valid chain, and the worst one under 5 ms of CPU.
// Run: `node bench/hostile-chain.ts`, `bun bench/hostile-chain.ts`,
// `deno run -A bench/hostile-chain.ts`. Prints `BENCH_RESULT {json}` lines (collected by
// bench/run.mjs) and `BENCH_NOTE` lines.
import process from "node:process";
import { verifyX509Svid, X509Bundle } from "../mod.ts";
import * as hostile from "./_hostile-chains.ts";
import { median } from "./_stats.ts";

/** Each hostile chain within this many times the valid chain's CPU per verification. */
const RATIO_TARGET = 20;
/** The worst hostile chain under this much CPU per verification. */
const BUDGET_MS = 5;
/** Measuring one chain in one mode stops after this long (once it has the minimum samples). */
const MEASURE_MS = 3000;
const MIN_SAMPLES = 3;
const MAX_SAMPLES = 200;
const PARALLEL = 4;
/** Name-constraint sizes grow until one verification takes longer than this (wall). */
const PROBE_STOP_MS = 300;

interface Sample {
  /** CPU ms per verification (a parallel batch's CPU divided by its size). */
  readonly cpu: number;
  /** Wall ms of the call (sequential) or of the whole batch (parallel). */
  readonly wall: number;
}

interface Figures {
  readonly cpu: number;
  readonly wall: number;
  readonly samples: number;
}

const log = (message: string): void => void process.stderr.write(`${message}\n`);

const root = await hostile.createRoot();
const bundle = X509Bundle.parse(hostile.TRUST_DOMAIN, root.der);

/** What verifying `chain` ends with: "accepted" or the error code (the bench fails on anything else). */
async function verifyOnce(chain: readonly Uint8Array[]): Promise<string> {
  try {
    await verifyX509Svid(chain as Uint8Array[], bundle);
    return "accepted";
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "string") throw err;
    return code;
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function sampleSequential(chain: readonly Uint8Array[]): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await verifyOnce(chain);
  return { cpu: cpuMs(cpu0), wall: performance.now() - t0 };
}

async function sampleParallel(chain: readonly Uint8Array[]): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PARALLEL }, () => verifyOnce(chain)));
  return { cpu: cpuMs(cpu0) / PARALLEL, wall: performance.now() - t0 };
}

/** Samples until MEASURE_MS have passed (and at least MIN_SAMPLES), at most MAX_SAMPLES. */
async function measure(sample: () => Promise<Sample>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const start = performance.now();
  while (samples.length < MAX_SAMPLES && (samples.length < MIN_SAMPLES || performance.now() - start < MEASURE_MS)) samples.push(await sample());
  return samples;
}

function figures(samples: readonly Sample[]): Figures {
  return { cpu: median(samples.map((s) => s.cpu)), wall: median(samples.map((s) => s.wall)), samples: samples.length };
}

interface Measured {
  readonly chain: hostile.HostileChain;
  readonly outcome: string;
  readonly sequential: Figures;
  readonly parallel: Figures;
}

/** Warm-up calls for `warmMs` (at least one: parsing caches, key imports, JIT), then both modes. */
async function measureChain(chain: hostile.HostileChain, warmMs = 0): Promise<Measured> {
  hostile.checkCaps(chain);
  const result = await verifyOnce(chain.chain);
  for (const start = performance.now(); performance.now() - start < warmMs; ) await verifyOnce(chain.chain);
  const sequential = figures(await measure(() => sampleSequential(chain.chain)));
  const parallel = figures(await measure(() => sampleParallel(chain.chain)));
  log(`  ${chain.label}: ${result}; CPU ${sequential.cpu.toFixed(2)} ms sequential, ${parallel.cpu.toFixed(2)} ms in parallel`);
  return { chain, outcome: result, sequential, parallel };
}

/**
 * (c) at growing sizes, two timed calls each (after a warm-up call; the cheaper one counts)
 * until a call takes longer than PROBE_STOP_MS or the largest size inside the cap; the size
 * that cost the most CPU is the one measured. (A verifier with a cap on comparisons is worst
 * just under its cap, or at the largest size, where parsing dominates; one without is worst at
 * the largest size it gets to.)
 */
async function worstNameConstraintChain(): Promise<{ chain: hostile.HostileChain; probes: string[]; largest: number }> {
  let worst: { chain: hostile.HostileChain; cpu: number } | undefined;
  const probes: string[] = [];
  const sizes = hostile.nameConstraintSizes();
  for (const size of sizes) {
    const chain = await hostile.nameConstraintChain(root, size);
    hostile.checkCaps(chain);
    const outcome = await verifyOnce(chain.chain);
    const first = await sampleSequential(chain.chain);
    const { cpu, wall } = first.wall > PROBE_STOP_MS ? first : [first, await sampleSequential(chain.chain)].reduce((a, b) => (b.cpu < a.cpu ? b : a));
    probes.push(`${chain.comparisons} comparisons: ${cpu.toFixed(1)} ms CPU (${outcome})`);
    if (!worst || cpu > worst.cpu) worst = { chain, cpu };
    if (wall > PROBE_STOP_MS) break;
  }
  const largest = sizes.at(-1)!;
  return { chain: worst!.chain, probes, largest: (largest.permitted + largest.excluded) * largest.names };
}

const started = performance.now();
log("generating chains ...");
const valid = await hostile.validChain(root);
if ((await verifyOnce(valid.chain)) !== "accepted") throw new Error("bench: the valid chain does not verify");
const generators: (() => Promise<hostile.HostileChain>)[] = [
  () => hostile.sharedHugeExponentMesh(root),
  () => hostile.p521Mesh(root),
  () => hostile.rsa8192Mesh(root),
  () => hostile.hugeLeafChain(root, "extensions"),
  () => hostile.hugeLeafChain(root, "san"),
];

log("measuring ...");
const validBefore = await measureChain(valid, 1000); // the verifier's code JIT-compiled before any figure
const measured: Measured[] = [];
for (const generate of generators) {
  const t0 = performance.now();
  const chain = await generate();
  log(`  (generated in ${(performance.now() - t0).toFixed(0)} ms)`);
  measured.push(await measureChain(chain));
}
const nc = await worstNameConstraintChain();
measured.splice(3, 0, await measureChain(nc.chain));
const validAfter = await measureChain(valid);

// The valid chain is measured before and after the hostile ones; its figure is the mean of the two medians.
const baseline = {
  sequential: (validBefore.sequential.cpu + validAfter.sequential.cpu) / 2,
  parallel: (validBefore.parallel.cpu + validAfter.parallel.cpu) / 2,
};
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));
const MODES = [
  ["sequential", "sequential"],
  ["parallel", `${PARALLEL} in parallel`],
] as const;

for (const m of measured) {
  for (const [mode, words] of MODES) {
    const f = m[mode];
    const line = {
      bench: "hostile-chain",
      name: `${m.chain.label}: CPU ms per verifyX509Svid (${words}; ${m.outcome})`,
      unit: "ms CPU",
      value: round(f.cpu),
      baselineName: `valid P-256 leaf→intermediate→root chain, same run (${words})`,
      baseline: round(baseline[mode]),
      ratio: round(f.cpu / baseline[mode], 2),
      target: RATIO_TARGET,
      better: "lower",
      wallMs: round(f.wall),
      samples: f.samples,
      outcome: m.outcome,
    };
    console.log(`BENCH_RESULT ${JSON.stringify(line)}`);
  }
}
for (const [mode, words] of MODES) {
  const worst = measured.reduce((a, b) => (b[mode].cpu > a[mode].cpu ? b : a));
  const line = {
    bench: "hostile-chain",
    name: `worst hostile chain, CPU ms per verification (${words}): ${worst.chain.label}`,
    unit: "ms CPU",
    value: round(worst[mode].cpu),
    baselineName: `budget: ${BUDGET_MS} ms of CPU per verification`,
    baseline: BUDGET_MS,
    ratio: round(worst[mode].cpu / BUDGET_MS, 2),
    target: 1,
    better: "lower",
  };
  console.log(`BENCH_RESULT ${JSON.stringify(line)}`);
}

const ms = (f: Figures): string => `CPU ${f.cpu.toFixed(2)} ms, wall ${f.wall.toFixed(2)} ms (median of ${f.samples})`;
console.log(
  `BENCH_NOTE valid chain: sequential ${ms(validBefore.sequential)} before and ${ms(validAfter.sequential)} after the hostile chains; ` +
    `${PARALLEL} in parallel (CPU per verification, wall per batch) ${ms(validBefore.parallel)} before, ${ms(validAfter.parallel)} after.`,
);
for (const m of measured) {
  console.log(
    `BENCH_NOTE ${m.chain.label} → ${m.outcome}: ${m.chain.description}. Sequential ${ms(m.sequential)}; ${PARALLEL} in parallel (CPU per verification, wall per batch) ${ms(m.parallel)}.`,
  );
}
const ncMeasured = measured.find((m) => m.chain === nc.chain)!;
// Only a verification that made every comparison (it accepted the chain) says what the largest would cost.
const extrapolated =
  nc.chain.comparisons! < nc.largest && ncMeasured.outcome === "accepted"
    ? ` The measured size is not the largest inside the cap: at ${nc.largest} comparisons, the same CPU per comparison would be ` +
      `≈ ${((ncMeasured.sequential.cpu * nc.largest) / nc.chain.comparisons! / 1000).toFixed(0)} s per verification (extrapolated, not measured).`
    : "";
console.log(
  `BENCH_NOTE (c) sizes probed (the cheaper of two calls each, growing until a call took over ${PROBE_STOP_MS} ms or the 1 MiB cap; the costliest is measured): ${nc.probes.join("; ")}.${extrapolated}`,
);
console.log(
  "BENCH_NOTE every chain is verified again and again as sent (the parsed-certificate cache and imported keys help a repeated chain, as they would a peer that " +
    `replays one); CPU is process-wide (Web Crypto threads included). Whole run: ${((performance.now() - started) / 1000).toFixed(0)} s.`,
);
