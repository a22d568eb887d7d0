import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/core/errors/config-error.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
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

  test("invalid options are a ConfigError (ERR_INVALID_ARGUMENT) naming backoff.<option>", async () => {
    const bad: Array<[Parameters<typeof createBackoff>[0], string]> = [
      [{ initialDelayMs: 0 }, "backoff.initialDelayMs"],
      [{ initialDelayMs: Number.NaN }, "backoff.initialDelayMs"],
      [{ initialDelayMs: 100, maxDelayMs: 50 }, "backoff.maxDelayMs"],
      [{ multiplier: 0.5 }, "backoff.multiplier"],
      [{ jitter: 2 }, "backoff.jitter"],
      [{ jitter: -1 }, "backoff.jitter"],
      [{ random: 1 as never }, "backoff.random"],
    ];
    for (const [options, option] of bad) {
      const err = await expectInvalidArgument(() => createBackoff(options), option, ConfigError);
      expect(err.option).toBe(option);
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
