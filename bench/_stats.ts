// Timing helpers shared by the benches (bench/run.mjs skips files starting with "_").

/** Operations per second of `fn` (sequential awaits) over `ms` milliseconds. */
export async function rate(fn: () => Promise<void> | void, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/** The middle value (upper median for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

/** Nearest-rank percentile, `p` in 0..100. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A sample that takes longer than this fails the bench instead of hanging it. */
export const WAIT_MS = 10_000;

/** `promise`, or a rejection naming `what` after {@link WAIT_MS}. */
export function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench: ${what} took more than ${WAIT_MS} ms`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Operations per second, and the process's CPU time (user + system) per operation in µs. */
export interface Measured {
  readonly rate: number;
  readonly cpuPerOp: number;
}

/** Runs `op` in `conc` loops for `ms`; answers operations per second and CPU µs per operation. */
export async function measure(op: () => Promise<void>, conc: number, ms: number): Promise<Measured> {
  const end = performance.now() + ms;
  let count = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < end) {
        await within(op(), "one request");
        count++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rate: count / ((performance.now() - start) / 1000), cpuPerOp: (used.user + used.system) / Math.max(count, 1) };
}

/** Runs `op` in `conc` loops for `ms`; answers operations per second. */
export async function throughput(op: () => Promise<void>, conc: number, ms: number): Promise<number> {
  return (await measure(op, conc, ms)).rate;
}

/**
 * `rounds` interleaved rounds of `roundMs` of figure and baseline (alternating which goes
 * first), after a warm-up of each; answers [ours, baseline] in ops/s (means over the rounds).
 */
export async function pairedThroughput(ours: () => Promise<void>, base: () => Promise<void>, conc: number, rounds: number, roundMs: number): Promise<[number, number]> {
  await throughput(ours, conc, 200); // warm-up
  await throughput(base, conc, 200);
  let a = 0;
  let b = 0;
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      a += await throughput(ours, conc, roundMs);
      b += await throughput(base, conc, roundMs);
    } else {
      b += await throughput(base, conc, roundMs);
      a += await throughput(ours, conc, roundMs);
    }
  }
  return [a / rounds, b / rounds];
}

/**
 * Like {@link pairedThroughput}, for noisy machines: `rounds` back-to-back pairs (alternating
 * which goes first), each pair giving a ratio; answers the medians of ours, the baseline and
 * the per-pair ratio (one burst of load elsewhere spoils one pair, not the figure), and the
 * same for the process's CPU µs per operation (`cpuOurs`, `cpuBase`, `cpuRatio`): on a
 * machine shared with other work, CPU time per operation varies less than operations per
 * second (which also count the time the process waited for a core).
 */
export async function pairedMedians(
  ours: () => Promise<void>,
  base: () => Promise<void>,
  conc: number,
  rounds: number,
  roundMs: number,
): Promise<{ ours: number; base: number; ratio: number; cpuOurs: number; cpuBase: number; cpuRatio: number }> {
  await throughput(ours, conc, 200); // warm-up
  await throughput(base, conc, 200);
  const a: Measured[] = [];
  const b: Measured[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      a.push(await measure(ours, conc, roundMs));
      b.push(await measure(base, conc, roundMs));
    } else {
      b.push(await measure(base, conc, roundMs));
      a.push(await measure(ours, conc, roundMs));
    }
  }
  return {
    ours: median(a.map((m) => m.rate)),
    base: median(b.map((m) => m.rate)),
    ratio: median(a.map((m, i) => m.rate / b[i]!.rate)),
    cpuOurs: median(a.map((m) => m.cpuPerOp)),
    cpuBase: median(b.map((m) => m.cpuPerOp)),
    cpuRatio: median(a.map((m, i) => m.cpuPerOp / b[i]!.cpuPerOp)),
  };
}
