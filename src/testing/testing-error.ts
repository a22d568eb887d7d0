import { SpiffeError } from "../core/errors/spiffe-error.ts";

/**
 * Why a test helper refused its input or could not do its job.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type TestingErrorCode =
  | "ERR_TESTING_NO_SVID"
  | "ERR_TESTING_CRYPTO"
  | "ERR_TESTING_LISTEN"
  | "ERR_TESTING_SERVER_STOPPED";

/**
 * A helper of `@spiffe-ts/sdk/testing` (test CA, development Workload API server, fake
 * sources) failed: a key could not be generated or used (`ERR_TESTING_CRYPTO`), the server
 * could not listen (`ERR_TESTING_LISTEN`), a method was called on a stopped server
 * (`ERR_TESTING_SERVER_STOPPED`), or a `FakeX509Source` holds no SVID (`ERR_TESTING_NO_SVID`:
 * what a source without an identity does). Invalid options and arguments are, as everywhere
 * in the SDK, `ConfigError` / `InvalidArgumentError` with code `ERR_INVALID_ARGUMENT`.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 *
 * @example
 * ```ts
 * import { startWorkloadApiServer, TestingError } from "@spiffe-ts/sdk/testing";
 * try {
 *   await startWorkloadApiServer({ ca, workloads: [], socketPath: "/no/such/dir/agent.sock" });
 * } catch (err) {
 *   if (err instanceof TestingError) console.log(err.code); // "ERR_TESTING_LISTEN"
 * }
 * ```
 */
export class TestingError extends SpiffeError<TestingErrorCode> {}
