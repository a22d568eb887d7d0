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
  /** Diagnostics, off by default (e.g. refused handshakes). */
  debug?(message: string, fields?: Record<string, unknown>): void;
  /** Normal events (e.g. an SVID rotation). */
  info?(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong and the SDK recovered (e.g. a bad update was dropped). */
  warn?(message: string, fields?: Record<string, unknown>): void;
  /** Something failed and needs attention. */
  error?(message: string, fields?: Record<string, unknown>): void;
}
