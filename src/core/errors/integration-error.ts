import { SpiffeError } from "./spiffe-error.ts";

/** Why an integration with another library could not be created. */
export type IntegrationErrorCode = "ERR_INTEGRATION_PEER_DEPENDENCY_MISSING" | "ERR_INTEGRATION_UNSUPPORTED_RUNTIME";

/**
 * An integration with another library (undici, …) cannot work here: the library (an
 * optional peer dependency of the SDK) is not installed (`ERR_INTEGRATION_PEER_DEPENDENCY_MISSING`),
 * or the runtime cannot run it as SPIFFE TLS needs (`ERR_INTEGRATION_UNSUPPORTED_RUNTIME`;
 * the message says why). Thrown when the integration is created, never at the first request.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { IntegrationError } from "@spiffe-ts/sdk";
 * const isUnsupported = (err: unknown): boolean => err instanceof IntegrationError && err.code === "ERR_INTEGRATION_UNSUPPORTED_RUNTIME";
 * ```
 */
export class IntegrationError extends SpiffeError<IntegrationErrorCode> {
  /** The library the integration is for, e.g. `"undici"`. */
  readonly library: string;

  /**
   * Creates the error (the SDK does; applications only read it).
   *
   * @param code Why the integration cannot work.
   * @param library The library it is for, e.g. `"undici"`.
   * @param message What happened and what to use instead.
   */
  constructor(code: IntegrationErrorCode, library: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.library = library;
  }
}
