// Rate limiting of the Workload API client's log lines (internal): retries can repeat
// every second for hours, the log should not.
import type { Logger } from "../core/logger.ts";

/** A logger that lets each (level, key) through at most once per interval (internal). */
export interface RateLimitedLogger {
  log(level: keyof Logger, key: string, message: string, fields: Record<string, unknown>): void;
}

/** Wraps `logger`; suppressed repeats are counted and reported as `suppressed` on the next line. */
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
      last.set(id, { at: t, suppressed: 0 });
      try {
        fn.call(logger, message, seen?.suppressed ? { ...fields, suppressed: seen.suppressed } : fields);
      } catch {
        // a failing logger must not break the client
      }
    },
  };
}
