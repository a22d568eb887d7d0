import { ConfigError } from "../core/errors/config-error.ts";
import { describeType } from "../core/lib/describe-type.ts";

/**
 * How long watches wait before reconnecting after a failure: exponential growth from
 * `initialDelayMs` to `maxDelayMs`, each delay spread by ±`jitter` (a fraction). The delay
 * starts over after a response is received.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface BackoffOptions {
  /** First delay. Default 1000 ms; at least 1 ms. */
  readonly initialDelayMs?: number;
  /** Largest delay. Default 30000 ms; at least `initialDelayMs`. */
  readonly maxDelayMs?: number;
  /** Growth factor per failed attempt. Default 2; at least 1. */
  readonly multiplier?: number;
  /** Random spread as a fraction of the delay, 0 to 1. Default 0.2 (±20 %). */
  readonly jitter?: number;
  /** Source of randomness in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** A backoff sequence (internal). */
export interface Backoff {
  /** The delay before the next attempt, in ms; grows with each call. */
  next(): number;
  /** Starts over at the initial delay. */
  reset(): void;
}

/**
 * Creates a backoff sequence (internal).
 *
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` for out-of-range options (option `"backoff.<name>"`).
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initial = options.initialDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  const multiplier = options.multiplier ?? 2;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  const check = (ok: boolean, name: string, what: string): void => {
    if (!ok) throw new ConfigError(`backoff.${name}`, what);
  };
  check(Number.isFinite(initial) && initial >= 1, "initialDelayMs", `must be a number >= 1, got ${initial}`);
  check(Number.isFinite(max) && max >= initial, "maxDelayMs", `must be a number >= initialDelayMs (${initial}), got ${max}`);
  check(Number.isFinite(multiplier) && multiplier >= 1, "multiplier", `must be a number >= 1, got ${multiplier}`);
  check(Number.isFinite(jitter) && jitter >= 0 && jitter <= 1, "jitter", `must be between 0 and 1, got ${jitter}`);
  check(typeof random === "function", "random", `must be a function, got ${describeType(random)}`);
  let current = initial;
  return {
    next(): number {
      const base = current;
      current = Math.min(max, current * multiplier);
      const spread = base * jitter * (2 * random() - 1);
      return Math.max(1, Math.min(max, Math.round(base + spread)));
    },
    reset(): void {
      current = initial;
    },
  };
}
