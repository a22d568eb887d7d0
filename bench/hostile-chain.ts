// Bench: the CPU a peer can make verifyX509Svid spend BEFORE it is authenticated. For each
// family of bench/_hostile-chains.ts (each the worst chain we could build INSIDE the
// verifier's limits: 64 KiB and 8 certificates of input; 32 extensions, 128 names, 32 name
// attributes per certificate; 9 signature checks weighing at most 9 P-256 units; 1,024
// name-constraint comparisons), the median CPU ms (process.cpuUsage: every thread of the
// process, Web Crypto's included) and wall ms per verifyX509Svid call, sequential and 4 in
// parallel, next to a valid P-256 leaf → intermediate → root chain measured the same way in
// the same run. Every call gets certificates the verifier has not seen (fresh variants,
// rotated past its parsed-certificate cache), as a hostile peer would send them; the valid
// chain replayed (cache hits, as a real peer's) is in a note. Targets, each a ratio to a
// baseline of the same run: each hostile chain within 20× of the valid chain, and the worst
// one within 2× of the costliest signature work the verification budget admits (for each
// kind of key, as many checks of it as the budget allows × one importKey + verify of it, as
// measured here; the largest product): the budget bounds the signature work, the input limits
// bound the rest. For the "why", each chain's parse time alone and the measured cost of each
// kind of signature check are noted.
// Run: `node bench/hostile-chain.ts`, `bun bench/hostile-chain.ts`,
// `deno run -A bench/hostile-chain.ts`. Prints `BENCH_RESULT {json}` lines (collected by
// bench/run.mjs) and `BENCH_NOTE` lines.
import process from "node:process";
import { verifyX509Svid, X509Bundle } from "../mod.ts";
import { readCertificate } from "../src/core/lib/certificate.ts";
import { readPublicKey } from "../src/core/lib/x509/public-key.ts";
import { MAX_SIGNATURE_CHECKS, MAX_SIGNATURE_COST, signatureCost } from "../src/core/svid/x509/verification-budget.ts";
import * as hostile from "./_hostile-chains.ts";
import { median } from "./_stats.ts";

/** Each hostile chain within this many times the valid chain's CPU per verification. */
const RATIO_TARGET = 20;
/**
 * The worst hostile chain within this many times the costliest signature work the budget
 * admits, measured in the same run: that work, plus at most as much again for parsing, the
 * other rules (bounded by the input limits) and the runtime's own threads (the CPU figures are
 * process-wide). A valid chain already costs about 1.5× its two bare checks on Bun.
 */
const BUDGET_RATIO_TARGET = 2;
/** Measuring one chain in one mode stops after this long (once it has the minimum samples). */
const MEASURE_MS = 3000;
const MIN_SAMPLES = 5;
const MAX_SAMPLES = 200;
const PARALLEL = 4;
/** Variants per family: enough distinct certificates to rotate past the verifier's cache of 256 parsed certificates. */
const DISTINCT_CERTIFICATES = 320;

type Chain = Uint8Array<ArrayBuffer>[];

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
async function verifyOnce(chain: Chain): Promise<string> {
  try {
    await verifyX509Svid(chain, bundle);
    return "accepted";
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "string") throw err;
    return code;
  }
}

/** The verdict of one call and the signature checks it made (crypto.subtle.verify calls), counted by a wrapper. */
async function countedVerify(chain: Chain): Promise<{ outcome: string; checks: number | undefined; failed: number }> {
  const subtle = crypto.subtle as SubtleCrypto & { verify: SubtleCrypto["verify"] };
  const original = subtle.verify;
  let checks = 0;
  let failed = 0;
  try {
    subtle.verify = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto["verify"]>) {
      checks++;
      return original.apply(this, args).catch((err: unknown) => {
        failed++; // a check the runtime refused to run (its cost would be missing from the figure)
        throw err;
      });
    } as SubtleCrypto["verify"];
  } catch {
    return { outcome: await verifyOnce(chain), checks: undefined, failed };
  }
  try {
    const outcome = await verifyOnce(chain);
    return { outcome, checks: subtle.verify === original ? undefined : checks, failed };
  } finally {
    delete (subtle as { verify?: unknown }).verify;
    if (subtle.verify !== original) subtle.verify = original;
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Fresh variants of a family, handed out in turn. */
class Variants {
  readonly list: readonly Chain[];
  #next = 0;
  constructor(list: readonly Chain[]) {
    this.list = list;
  }
  take(): Chain {
    return this.list[this.#next++ % this.list.length]!;
  }
}

async function sampleSequential(variants: Variants): Promise<Sample> {
  const chain = variants.take();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await verifyOnce(chain);
  return { cpu: cpuMs(cpu0), wall: performance.now() - t0 };
}

async function sampleParallel(variants: Variants): Promise<Sample> {
  const chains = Array.from({ length: PARALLEL }, () => variants.take());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(chains.map(verifyOnce));
  return { cpu: cpuMs(cpu0) / PARALLEL, wall: performance.now() - t0 };
}

/** Samples until MEASURE_MS have passed (and at least MIN_SAMPLES), at most MAX_SAMPLES. */
async function measure(sample: () => Promise<Sample>): Promise<Figures> {
  const samples: Sample[] = [];
  const start = performance.now();
  while (samples.length < MAX_SAMPLES && (samples.length < MIN_SAMPLES || performance.now() - start < MEASURE_MS)) samples.push(await sample());
  return { cpu: median(samples.map((s) => s.cpu)), wall: median(samples.map((s) => s.wall)), samples: samples.length };
}

/** Median CPU ms of parsing every certificate of a variant (readCertificate, no cache): the parse share of a verification. */
function parseMs(variants: Variants): number {
  const samples: number[] = [];
  for (const start = performance.now(); samples.length < MAX_SAMPLES && (samples.length < 20 || performance.now() - start < 1000); ) {
    const chain = variants.take();
    const cpu0 = process.cpuUsage();
    for (const der of chain) readCertificate(der);
    samples.push(cpuMs(cpu0));
  }
  return median(samples);
}

interface Prepared {
  readonly family: hostile.ChainFamily;
  readonly variants: Variants;
  readonly outcome: string;
  readonly checks: number | undefined;
  readonly bytes: number;
}

/** Builds the variants of `family`, checks its verdict and its signature checks on one of them. */
async function prepare(family: hostile.ChainFamily): Promise<Prepared> {
  const t0 = performance.now();
  const first = await family.build();
  const tooLarge = family.expect === "ERR_X509_SVID_TOO_LARGE";
  hostile.checkInput(family.label, first, tooLarge);
  // Certificates above the cache's size limit are parsed every time: a few variants do (one per parallel call).
  const uncached = first.every((c) => c.length > hostile.CACHED_CERTIFICATE_BYTES);
  const count = uncached || tooLarge ? PARALLEL : Math.max(PARALLEL, Math.ceil(DISTINCT_CERTIFICATES / first.length));
  const list: Chain[] = [first];
  while (list.length < count) list.push(await family.build());
  const { outcome, checks, failed } = await countedVerify(list[1 % list.length]!);
  if (outcome !== family.expect) throw new Error(`bench: ${family.label}: expected ${family.expect}, got ${outcome}`);
  if (failed > 0) throw new Error(`bench: ${family.label}: the runtime refused ${failed} signature check(s); the figure would miss their cost`);
  if (checks !== undefined && family.checks !== undefined && checks !== family.checks) {
    throw new Error(`bench: ${family.label}: expected ${family.checks} signature checks, counted ${checks}`);
  }
  log(`  ${family.label}: ${list.length} variants of ${first.length} certificates built in ${(performance.now() - t0).toFixed(0)} ms; ${outcome}, ${checks ?? "?"} checks`);
  return { family, variants: new Variants(list), outcome, checks, bytes: first.reduce((n, c) => n + c.length, 0) };
}

interface Measured extends Prepared {
  readonly sequential: Figures;
  readonly parallel: Figures;
  readonly parse: number;
}

/** Warm-up calls for `warmMs` (at least one per variant kind: JIT), then both modes and the parse share. */
async function measureFamily(p: Prepared, warmMs = 0): Promise<Measured> {
  for (let i = 0; i < 3; i++) await verifyOnce(p.variants.take());
  for (const start = performance.now(); performance.now() - start < warmMs; ) await verifyOnce(p.variants.take());
  const sequential = await measure(() => sampleSequential(p.variants));
  const parallel = await measure(() => sampleParallel(p.variants));
  const parse = p.outcome === "ERR_X509_SVID_TOO_LARGE" ? 0 : parseMs(p.variants);
  log(`  ${p.family.label}: CPU ${sequential.cpu.toFixed(2)} ms sequential, ${parallel.cpu.toFixed(2)} ms in parallel, parse ${parse.toFixed(2)} ms`);
  return { ...p, sequential, parallel, parse };
}

/** Per kind of signature check: the median CPU ms of one import + verify, and how many such checks the budget admits. */
async function checkCosts(): Promise<Map<string, { cpu: number; admitted: number }>> {
  const out = new Map<string, { cpu: number; admitted: number }>();
  for (const k of await hostile.checkKinds()) {
    const once = async (): Promise<void> => {
      const key = await crypto.subtle.importKey("spki", k.spki, k.importParams, false, ["verify"]);
      await crypto.subtle.verify(k.verifyParams, key, k.signature, k.data);
    };
    for (let i = 0; i < 5; i++) await once();
    const samples: number[] = [];
    for (let i = 0; i < 40; i++) {
      const cpu0 = process.cpuUsage();
      await once();
      samples.push(cpuMs(cpu0));
    }
    const admitted = Math.min(MAX_SIGNATURE_CHECKS, Math.floor(MAX_SIGNATURE_COST / signatureCost(readPublicKey(k.spki))));
    out.set(k.label, { cpu: median(samples), admitted });
  }
  return out;
}

const started = performance.now();
log("building chains ...");
const validFamily = await hostile.validChain(root);
const families: hostile.ChainFamily[] = [
  await hostile.p521Mesh(),
  await hostile.p384Mesh(),
  await hostile.rsa4096Mesh(),
  await hostile.p256Mesh(),
  await hostile.mixedCurveMesh(),
  await hostile.nameConstraintChain(root, "directoryName"),
  await hostile.nameConstraintChain(root, "directoryName", true),
  await hostile.nameConstraintChain(root, "dNSName"),
  await hostile.nameConstraintChain(root, "rfc822Name"),
  await hostile.nameConstraintChain(root, "uniformResourceIdentifier"),
  await hostile.largestCertificateChain(root, 0x0c),
  await hostile.largestCertificateChain(root, 0x13),
  await hostile.longestValidChain(root),
  await hostile.everythingChain(root),
  await hostile.largestCertificateChain(root, 0x0c, true),
];
const valid = await prepare(validFamily);
const prepared: Prepared[] = [];
for (const f of families) prepared.push(await prepare(f));

log("measuring ...");
const validBefore = await measureFamily(valid, 1000); // the verifier's code JIT-compiled before any figure
const measured: Measured[] = [];
for (const p of prepared) measured.push(await measureFamily(p));
const validAfter = await measureFamily(valid);
// The valid chain replayed as a real peer does (its certificates served from the cache).
const replay = valid.variants.list[0]!;
const replayed = await measure(async () => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await verifyOnce(replay);
  return { cpu: cpuMs(cpu0), wall: performance.now() - t0 };
});
const costs = await checkCosts();

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
      name: `${m.family.label}: CPU ms per verifyX509Svid (${words}; ${m.outcome})`,
      unit: "ms CPU",
      value: round(f.cpu),
      baselineName: `valid P-256 leaf→intermediate→root chain, fresh certificates, same run (${words})`,
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
// The costliest signature work the budget admits, in this run: the bound the budget sets.
const [budgetKind, budgetWork] = [...costs].map(([label, c]) => [`${c.admitted} ${label} checks`, c.admitted * c.cpu] as const).reduce((a, b) => (b[1] > a[1] ? b : a));
for (const [mode, words] of MODES) {
  const worst = measured.reduce((a, b) => (b[mode].cpu > a[mode].cpu ? b : a));
  const line = {
    bench: "hostile-chain",
    name: `worst hostile chain, CPU ms per verification (${words}): ${worst.family.label}`,
    unit: "ms CPU",
    value: round(worst[mode].cpu),
    baselineName: `the costliest signature work the budget admits (${budgetKind}, importKey + verify each), same run`,
    baseline: round(budgetWork),
    ratio: round(worst[mode].cpu / budgetWork, 2),
    target: BUDGET_RATIO_TARGET,
    better: "lower",
  };
  console.log(`BENCH_RESULT ${JSON.stringify(line)}`);
}

const ms = (f: Figures): string => `CPU ${f.cpu.toFixed(2)} ms, wall ${f.wall.toFixed(2)} ms (median of ${f.samples})`;
const costText = [...costs].map(([label, c]) => `${label} ${c.cpu.toFixed(3)} ms (the budget admits ${c.admitted})`).join(", ");
console.log(
  `BENCH_NOTE valid chain, fresh certificates: sequential ${ms(validBefore.sequential)} before and ${ms(validAfter.sequential)} after the hostile chains; ` +
    `${PARALLEL} in parallel (CPU per verification, wall per batch) ${ms(validBefore.parallel)} before, ${ms(validAfter.parallel)} after. ` +
    `Replayed (parsed certificates and imported keys from the cache, as a real peer's): sequential ${ms(replayed)}; against it, the worst sequential hostile chain is ` +
    `${(Math.max(...measured.map((m) => m.sequential.cpu)) / replayed.cpu).toFixed(1)}×.`,
);
console.log(
  `BENCH_NOTE one signature check (importKey + verify, CPU ms, median of 40): ${costText}. ` +
    `The budget's bound in this run: ${budgetKind} = ${budgetWork.toFixed(2)} ms of CPU; the worst hostile chain is compared with it (target ≤ ${BUDGET_RATIO_TARGET}×: ` +
    "the rest of a verification is parsing and rule checks, bounded by the 64 KiB / 8 certificates / 1,024 comparisons limits, and the runtime's own threads). " +
    "The budget weighs checks by their absolute cost on the slowest runtime (Deno: P-256 ≈ 0.45 ms, P-521 ≈ 4 of those), so the costliest kind differs by runtime; " +
    "a fixed number of CPU ms would follow the machine's load rather than the verifier.",
);
for (const m of measured) {
  const split = m.outcome === "ERR_X509_SVID_TOO_LARGE" ? "" : ` Of which parsing ${m.parse.toFixed(2)} ms (every certificate once, no cache).`;
  console.log(
    `BENCH_NOTE ${m.family.label} → ${m.outcome} (${m.checks ?? "?"} signature checks, ${m.bytes} bytes): ${m.family.description}. ` +
      `Sequential ${ms(m.sequential)}; ${PARALLEL} in parallel (CPU per verification, wall per batch) ${ms(m.parallel)}.${split}`,
  );
}
console.log(
  "BENCH_NOTE every call verifies a fresh variant (new serial numbers, so new DER: the parsed-certificate cache and imported keys never help); " +
    `CPU is process-wide (Web Crypto threads included). Whole run: ${((performance.now() - started) / 1000).toFixed(0)} s.`,
);
