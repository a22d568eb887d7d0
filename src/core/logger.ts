/**
 * Where the SDK reports what it does (retries, dropped updates, refused peers). Every
 * method is optional; the SDK is silent unless you pass one. Fields are structured and
 * never contain private keys or tokens. `console` and winston loggers fit as they are; pino
 * takes `(fields, message)`, so wrap it: `fromPino(pino())` (otherwise pino drops the fields).
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import type { Logger } from "@spiffe-ts/sdk";
 * const logger: Logger = { warn: (message, fields) => console.warn(message, fields) };
 * ```
 */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}
