// Rate limiting of the Workload API client's log lines (internal): retries can repeat
// every second for hours, the log should not.
import type { Logger } from "../core/logger.ts";

/** A logger that lets each (level, key) through at most once per interval (internal). */
export interface RateLimitedLogger {
  log(level: keyof Logger, key: string, message: string, fields: Record<string, unknown>): void;
}

/** Keys remembered before those whose interval is over are forgotten. */
const MAX_KEYS = 256;

/**
 * Wraps `logger`; suppressed repeats are counted and reported as `suppressed` on the next line.
 * The caller's key names the problem (e.g. method, code and reason): a different problem is
 * logged at once, the same one at most once per interval.
 */
export function rateLimitLogger(logger: Logger | undefined, intervalMs = 30_000, now: () => number = Date.now): RateLimitedLogger {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    log(level, key, message, fields): void {
      const fn = logger?.[level];
      if (typeof fn !== "function") return;
      const id = `${level}:${key}`;
      const t = now();
      const seen = last.get(id);
      if (seen && t - seen.at < intervalMs) {
        seen.suppressed += 1;
        return;
      }
      if (!seen && last.size >= MAX_KEYS) {
        for (const [k, v] of last) if (t - v.at >= intervalMs) last.delete(k);
      }
      last.set(id, { at: t, suppressed: 0 });
      try {
        fn.call(logger, message, seen?.suppressed ? { ...fields, suppressed: seen.suppressed } : fields);
      } catch {
        // a failing logger must not break the client
      }
    },
  };
}
