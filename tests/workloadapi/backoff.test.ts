import { describe, expect, test } from "bun:test";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import { createBackoff } from "../../src/workloadapi/backoff.ts";
import { rateLimitLogger } from "../../src/workloadapi/logger.ts";

describe("createBackoff", () => {
  test("defaults: 1 s doubling to a 30 s cap; reset starts over", () => {
    const b = createBackoff({ random: () => 0.5 });
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  test("jitter spreads each delay by at most the fraction, never above the cap", () => {
    const low = createBackoff({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 0 });
    expect([low.next(), low.next()]).toEqual([50, 100]);
    const high = createBackoff({ initialDelayMs: 100, maxDelayMs: 150, jitter: 0.5, random: () => 0.999999 });
    expect([high.next(), high.next(), high.next()]).toEqual([150, 150, 150]);
  });

  test("invalid options are ERR_WORKLOAD_API_BAD_REQUEST", () => {
    const bad = [{ initialDelayMs: 0 }, { initialDelayMs: Number.NaN }, { initialDelayMs: 100, maxDelayMs: 50 }, { multiplier: 0.5 }, { jitter: 2 }, { jitter: -1 }, { random: 1 as never }];
    for (const options of bad) {
      let code: string | undefined;
      try {
        createBackoff(options);
      } catch (err) {
        expect(err).toBeInstanceOf(WorkloadApiError);
        code = (err as WorkloadApiError).code;
      }
      expect([options, code]).toEqual([options, "ERR_WORKLOAD_API_BAD_REQUEST"]);
    }
  });
});

describe("rateLimitLogger", () => {
  test("lets each level+key through once per interval and counts what it suppressed", () => {
    let now = 0;
    const lines: [string, Record<string, unknown>][] = [];
    const log = rateLimitLogger({ warn: (m, f) => lines.push([m, { ...f }]) }, 1000, () => now);
    log.log("warn", "a", "retrying", { attempt: 1 });
    log.log("warn", "a", "retrying", { attempt: 2 });
    log.log("warn", "a", "retrying", { attempt: 3 });
    log.log("warn", "b", "other", {});
    log.log("info", "a", "no info logger", {});
    now = 1500;
    log.log("warn", "a", "retrying", { attempt: 4 });
    expect(lines).toEqual([
      ["retrying", { attempt: 1 }],
      ["other", {}],
      ["retrying", { attempt: 4, suppressed: 2 }],
    ]);
  });

  test("is silent without a logger and survives a throwing one", () => {
    rateLimitLogger(undefined).log("error", "k", "m", {});
    const log = rateLimitLogger({ error: () => { throw new Error("x"); } });
    expect(() => log.log("error", "k", "m", {})).not.toThrow();
  });
});
