import { InvalidArgumentError } from "./invalid-argument-error.ts";
import type { InvalidArgumentErrorCode } from "./invalid-argument-error.ts";

/** The code of a {@link ConfigError}: the same as every refused argument's. */
export type ConfigErrorCode = InvalidArgumentErrorCode;

/**
 * Options were refused when a server, client, source or integration was created (not later,
 * at the first request). `option` (the same as `argument`) names the offending option, e.g.
 * `"timeouts.idleMs"`. The code is `ERR_INVALID_ARGUMENT`.
 *
 * Which class: a refused member of an options object given to a factory or constructor is a
 * `ConfigError`; any other bad argument is an {@link InvalidArgumentError}, of which this is a
 * subclass, so `err instanceof InvalidArgumentError` catches both. A feature that cannot work
 * on the current runtime is an `IntegrationError` (`ERR_INTEGRATION_UNSUPPORTED_RUNTIME`),
 * never a `ConfigError`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { ConfigError } from "@spiffe-ts/sdk";
 * import { serveMtls } from "@spiffe-ts/sdk/node";
 * try {
 *   await serveMtls({ source, authorizer, fetch: handler, timeouts: { idleMs: -1 } });
 * } catch (err) {
 *   if (err instanceof ConfigError) console.error(err.option); // "timeouts.idleMs"
 * }
 * ```
 */
export class ConfigError extends InvalidArgumentError {
  /** The option that was refused (the same as `argument`). */
  readonly option: string;

  /**
   * Creates the error for a refused option.
   *
   * @param option The refused option, e.g. `"timeouts.idleMs"`.
   * @param message What is wrong with it and what is accepted.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(option, `invalid option "${option}": ${message}`, options);
    this.option = option;
  }
}
