import { SpiffeError } from "./spiffe-error.ts";

/** Why a Workload API address was rejected or a Workload API call failed. */
export type WorkloadApiErrorCode =
  // address (SPIFFE Workload Endpoint spec §4)
  | "ERR_WORKLOAD_API_ADDRESS_MISSING"
  | "ERR_WORKLOAD_API_ADDRESS_SYNTAX"
  | "ERR_WORKLOAD_API_ADDRESS_SCHEME"
  | "ERR_WORKLOAD_API_ADDRESS_AUTHORITY"
  | "ERR_WORKLOAD_API_ADDRESS_USERINFO"
  | "ERR_WORKLOAD_API_ADDRESS_PATH"
  | "ERR_WORKLOAD_API_ADDRESS_QUERY"
  | "ERR_WORKLOAD_API_ADDRESS_FRAGMENT"
  | "ERR_WORKLOAD_API_ADDRESS_HOST"
  | "ERR_WORKLOAD_API_ADDRESS_PORT"
  // calls
  | "ERR_WORKLOAD_API_UNAVAILABLE"
  /**
   * The agent answered a call with gRPC `InvalidArgument` (e.g. it refused the token given to
   * `validateJwtSvid`). Not a caller-side mistake: arguments the SDK refuses before calling are
   * `InvalidArgumentError` / `ConfigError` with code `ERR_INVALID_ARGUMENT`.
   */
  | "ERR_WORKLOAD_API_INVALID_ARGUMENT"
  | "ERR_WORKLOAD_API_PERMISSION_DENIED"
  | "ERR_WORKLOAD_API_RUNTIME_PERMISSION"
  | "ERR_WORKLOAD_API_BAD_RESPONSE"
  | "ERR_WORKLOAD_API_CALL_FAILED"
  | "ERR_WORKLOAD_API_ABORTED"
  | "ERR_WORKLOAD_API_TIMEOUT"
  | "ERR_WORKLOAD_API_CLOSED"
  | "ERR_WORKLOAD_API_NO_IDENTITY"
  | "ERR_WORKLOAD_API_NO_BUNDLE";

/**
 * A Workload API address was invalid, a Workload API call failed, the agent sent a
 * response that had to be discarded, or a source was used after `close()`.
 *
 * Arguments and options the SDK refuses before calling the agent are not `WorkloadApiError`s
 * but `InvalidArgumentError` / `ConfigError` (`ERR_INVALID_ARGUMENT`);
 * `ERR_WORKLOAD_API_INVALID_ARGUMENT` means the agent itself answered gRPC `InvalidArgument`.
 *
 * `grpcStatus` is the gRPC status code of the failed call when there was one
 * (e.g. 7 = PermissionDenied, 14 = Unavailable); the underlying transport error is kept
 * as `cause`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example Telling "not registered yet" apart from "agent down"
 * ```ts
 * import { WorkloadApiClient, WorkloadApiError } from "@spiffe-ts/sdk/node";
 * const client = new WorkloadApiClient();
 * try {
 *   await client.fetchX509Context();
 * } catch (err) {
 *   if (err instanceof WorkloadApiError && err.code === "ERR_WORKLOAD_API_PERMISSION_DENIED") {
 *     console.log("this workload has no SPIFFE identity yet");
 *   }
 * }
 * ```
 */
export class WorkloadApiError extends SpiffeError<WorkloadApiErrorCode> {
  /** gRPC status code of the failed call (0-16), when the failure came from a call. */
  readonly grpcStatus: number | undefined;

  /**
   * Creates the error for a failed Workload API call or address.
   *
   * @param code Why the Workload API call or address failed.
   * @param message What failed and what to do.
   * @param options `cause`: the underlying (e.g. Connect) error; `grpcStatus`: the call's gRPC status code.
   */
  constructor(code: WorkloadApiErrorCode, message: string, options?: { cause?: unknown; grpcStatus?: number }) {
    super(code, message, options);
    this.grpcStatus = options?.grpcStatus;
  }
}
