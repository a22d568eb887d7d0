import { SpiffeError } from "../core/errors/spiffe-error.ts";

/**
 * Why a test helper refused its input or could not do its job.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type TestingErrorCode =
  | "ERR_TESTING_OPTIONS"
  | "ERR_TESTING_CRYPTO"
  | "ERR_TESTING_LISTEN"
  | "ERR_TESTING_SERVER_STOPPED";

/**
 * A helper of `@spiffe-ts/sdk/testing` (test CA, development Workload API server) was
 * misused or failed: invalid options (`ERR_TESTING_OPTIONS`), a key could not be generated
 * or used (`ERR_TESTING_CRYPTO`), the server could not listen (`ERR_TESTING_LISTEN`), or a
 * method was called on a stopped server (`ERR_TESTING_SERVER_STOPPED`).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 *
 * @example
 * ```ts
 * import { startWorkloadApiServer, TestingError } from "@spiffe-ts/sdk/testing";
 * try {
 *   await startWorkloadApiServer({ ca, workloads: [] }); // neither socketPath nor tcpPort
 * } catch (err) {
 *   if (err instanceof TestingError) console.log(err.code); // "ERR_TESTING_OPTIONS"
 * }
 * ```
 */
export class TestingError extends SpiffeError<TestingErrorCode> {}
