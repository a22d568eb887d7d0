import { SpiffeError } from "./spiffe-error.ts";

/** The one code of a refused argument: {@link InvalidArgumentError} and {@link ConfigError}. */
export type InvalidArgumentErrorCode = "ERR_INVALID_ARGUMENT";

/**
 * The caller passed a value of the wrong type, shape or range: a function's argument, or a
 * member of its options object. `argument` names what was wrong (e.g. `"audience"`,
 * `"options.now"`); the message says what was given (its type or shape, never the value of a
 * token or key) and what is accepted. Thrown at the call, before anything happens.
 *
 * Which class: a refused member of an options object given to a factory or constructor
 * (a server, client, source, integration) is a {@link ConfigError}, a subclass of this one;
 * any other bad argument is an `InvalidArgumentError`. Both have the code
 * `ERR_INVALID_ARGUMENT`, so `err instanceof InvalidArgumentError` catches both.
 *
 * Not to be confused with `WorkloadApiError` `ERR_WORKLOAD_API_INVALID_ARGUMENT`: there the
 * SPIRE agent answered a call with gRPC `InvalidArgument`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError, JwtSvid } from "@spiffe-ts/sdk";
 * try {
 *   await JwtSvid.parseAndValidate(token, bundles, "");
 * } catch (err) {
 *   if (err instanceof InvalidArgumentError) console.error(`fix ${err.argument}: ${err.message}`); // "audience"
 * }
 * ```
 */
export class InvalidArgumentError extends SpiffeError<InvalidArgumentErrorCode> {
  /** What was wrong, e.g. `"audience"`, `"options.timeoutMs"`, `"relationships[0].url"`. */
  readonly argument: string;

  /**
   * Creates the error for a refused argument.
   *
   * @param argument What was wrong, e.g. `"audience"` or `"options.now"`.
   * @param message What was given (type or shape, never a secret) and what is accepted.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super("ERR_INVALID_ARGUMENT", message, options);
    this.argument = argument;
  }
}
