// The audit log: one structured line per peer the SDK accepted or refused, bounded per
// interval (a flood of refused peers must not flood the log), as a SpiffeTrace.
import type { Logger } from "../core/logger.ts";
import type { HandshakeRefusedInfo, HandshakeVerifiedInfo, SpiffeTrace } from "./spiffe-trace.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";

/**
 * Options of {@link createAuditLog}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface AuditLogOptions {
  /** Lines written per interval at most; the rest are counted. Default 100. */
  readonly maxLinesPerInterval?: number;
  /** The interval, in ms. Default 1000. */
  readonly intervalMs?: number;
  /** Also log accepted peers (level `info`); refused ones are always logged (level `warn`). Default `true`. */
  readonly accepted?: boolean;
}

function positiveInteger(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, `createAuditLog: must be a positive integer, got ${typeof value === "number" ? value : describeType(value)}`);
  }
  return value;
}

/**
 * An audit log of peer verifications, to register with `addSpiffeTrace`: one line per
 * accepted peer (`info`, "spiffe audit: peer accepted") and per refused peer (`warn`,
 * "spiffe audit: peer refused") with the fields `event` (`"spiffe.peer"`), `outcome`,
 * `peerId` (when known), `code` (refusals), `side`, `mode`, `remoteAddress`, `remotePort`.
 * At most `maxLinesPerInterval` lines per interval; at the end of an interval that dropped
 * lines, one `warn` line "spiffe audit: lines suppressed" with `suppressed`, `accepted`
 * and `refused` counts. Never keys, certificates or tokens.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example With pino
 * ```ts
 * import pino from "pino";
 * import { addSpiffeTrace, createAuditLog, fromPino } from "@spiffe-ts/sdk";
 * addSpiffeTrace(createAuditLog(fromPino(pino()), { maxLinesPerInterval: 50 }));
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"logger"`) when `logger` is not an object.
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` naming a refused option (`"maxLinesPerInterval"`, `"intervalMs"`).
 */
export function createAuditLog(logger: Logger, options: AuditLogOptions = {}): SpiffeTrace {
  if (typeof logger !== "object" || logger === null) throw new InvalidArgumentError("logger", `createAuditLog needs a logger, got ${describeType(logger)}`);
  const max = positiveInteger(options.maxLinesPerInterval, 100, "maxLinesPerInterval");
  const intervalMs = positiveInteger(options.intervalMs, 1000, "intervalMs");
  const logAccepted = options.accepted ?? true;
  let windowStart = -Infinity;
  let written = 0;
  let dropped = { accepted: 0, refused: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;

  const reportDropped = (): void => {
    timer = undefined;
    const { accepted, refused } = dropped;
    if (accepted + refused === 0) return;
    dropped = { accepted: 0, refused: 0 };
    write(() => logger.warn?.("spiffe audit: lines suppressed", { event: "spiffe.audit", suppressed: accepted + refused, accepted, refused, intervalMs }));
  };
  /** Whether a line may be written now; counts it as dropped otherwise. */
  const admit = (outcome: "accepted" | "refused"): boolean => {
    const t = performance.now();
    if (t - windowStart >= intervalMs) {
      if (timer !== undefined) clearTimeout(timer);
      reportDropped();
      windowStart = t;
      written = 0;
    }
    if (written < max) {
      written += 1;
      return true;
    }
    dropped[outcome] += 1;
    if (timer === undefined) {
      timer = setTimeout(reportDropped, Math.max(0, windowStart + intervalMs - t));
      (timer as { unref?: () => void }).unref?.();
    }
    return false;
  };
  const fields = (info: HandshakeVerifiedInfo | HandshakeRefusedInfo): Record<string, unknown> => ({
    event: "spiffe.peer",
    side: info.side,
    mode: info.mode,
    remoteAddress: info.remoteAddress ?? null,
    remotePort: info.remotePort ?? null,
  });
  return {
    handshakeVerified(info): void {
      if (!logAccepted || !admit("accepted")) return;
      write(() => logger.info?.("spiffe audit: peer accepted", { ...fields(info), outcome: "accepted", peerId: info.peerId.toString() }));
    },
    handshakeRefused(info): void {
      if (!admit("refused")) return;
      write(() => logger.warn?.("spiffe audit: peer refused", { ...fields(info), outcome: "refused", code: info.code, peerId: info.peerId?.toString() ?? null }));
    },
  };
}

function write(line: () => void): void {
  try {
    line();
  } catch {
    // a failing logger must not break a handshake
  }
}
