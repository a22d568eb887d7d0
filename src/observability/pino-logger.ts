// pino's argument order is (fields, message); the SDK's Logger is (message, fields).
import type { Logger } from "../core/logger.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";

/**
 * The levels of a pino logger the SDK writes to (any object with them fits, e.g. a child logger).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface PinoLike {
  /** Writes a debug line. */
  debug(fields: Record<string, unknown>, message: string): void;
  /** Writes an info line. */
  info(fields: Record<string, unknown>, message: string): void;
  /** Writes a warn line. */
  warn(fields: Record<string, unknown>, message: string): void;
  /** Writes an error line. */
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Adapts a pino logger to the SDK's {@link Logger}: pino takes `(fields, message)`, the SDK
 * calls `(message, fields)`; passed as is, pino would drop every field. The fields become
 * properties of the JSON line.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import pino from "pino";
 * import { fromPino, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create({ logger: fromPino(pino().child({ component: "spiffe" })) });
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"logger"`) when `logger` is not a pino logger.
 */
export function fromPino(logger: PinoLike): Logger {
  if (typeof logger !== "object" || logger === null || typeof logger.info !== "function") throw new InvalidArgumentError("logger", `fromPino needs a pino logger (an object with info, warn, error and debug), got ${describeType(logger)}`);
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
