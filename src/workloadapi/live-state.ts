// The latest good value of one Workload API watch, for the sources (internal): dropped on
// PermissionDenied, kept when a response is discarded, with a promise for the first value.
// Built on a client's public watch (any WorkloadApiClientLike), nothing private.
import { WorkloadApiError, type WorkloadApiErrorCode } from "../core/errors/workload-api-error.ts";
import type { WorkloadApiWatchOptions } from "./workload-api-client.ts";

/** Callbacks of a {@link LiveState}. */
export interface LiveStateHooks<T> {
  onValue(value: T): void;
  onError(error: WorkloadApiError): void;
}

/** Opens one watch of a client, e.g. `(o) => client.watchX509Context(o)`. */
export type OpenWatch<T> = (options: WorkloadApiWatchOptions) => AsyncIterable<T>;

/** Watches one stream in the background until {@link LiveState.stop}. */
export class LiveState<T> {
  #value: T | undefined;
  #lastError: WorkloadApiError | undefined;
  #fatal = false;
  readonly #stop = new AbortController();
  readonly #ready: Promise<void>;
  #resolve!: () => void;
  #reject!: (err: WorkloadApiError) => void;

  constructor(open: OpenWatch<T>, hooks: LiveStateHooks<T>) {
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#ready.catch(() => {});
    void this.#run(open, hooks).catch(() => {});
  }

  /** The latest good value; undefined before the first one and while the agent denies an identity. */
  get value(): T | undefined {
    return this.#value;
  }

  /** The last problem reported (cleared by the next good value). */
  get lastError(): WorkloadApiError | undefined {
    return this.#lastError;
  }

  /** Resolves with the first value; rejects on a fatal error or when stopped first. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  stop(reason: WorkloadApiError): void {
    this.#reject(reason);
    this.#stop.abort();
  }

  async #run(open: OpenWatch<T>, hooks: LiveStateHooks<T>): Promise<void> {
    const onError = (reported: WorkloadApiError): void => {
      const error = asWorkloadApiError(reported);
      this.#lastError = error;
      if (error.code === "ERR_WORKLOAD_API_PERMISSION_DENIED") this.#value = undefined;
      hooks.onError(error);
    };
    try {
      for await (const value of open({ signal: this.#stop.signal, onError })) {
        this.#value = value;
        this.#lastError = undefined;
        this.#resolve();
        hooks.onValue(value);
      }
    } catch (err) {
      if (this.#stop.signal.aborted) return;
      const error = asWorkloadApiError(err);
      this.#fatal = true;
      this.#reject(error);
      onError(error);
    }
    if (!this.#stop.signal.aborted && !this.#fatal) {
      this.#reject(new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", "the Workload API client was closed"));
    }
  }
}

/**
 * `err` as a WorkloadApiError of this copy of the SDK: kept when it is one, re-created (same
 * code, original as `cause`) when it has a Workload API code (e.g. from another copy's
 * client), wrapped as `ERR_WORKLOAD_API_CALL_FAILED` otherwise.
 */
function asWorkloadApiError(err: unknown): WorkloadApiError {
  if (err instanceof WorkloadApiError) return err;
  const { code, message, grpcStatus } = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; message?: unknown; grpcStatus?: unknown };
  const text = typeof message === "string" ? message : String(err);
  const status = typeof grpcStatus === "number" ? grpcStatus : undefined;
  if (typeof code === "string" && isWatchCode(code)) return new WorkloadApiError(code, text, { cause: err, ...(status === undefined ? {} : { grpcStatus: status }) });
  return new WorkloadApiError("ERR_WORKLOAD_API_CALL_FAILED", `the Workload API watch failed (${text})`, { cause: err });
}

/** The codes a watch reports (the call codes of {@link WorkloadApiErrorCode}). */
const WATCH_CODES: ReadonlySet<string> = new Set<WorkloadApiErrorCode>([
  "ERR_WORKLOAD_API_UNAVAILABLE",
  "ERR_WORKLOAD_API_INVALID_ARGUMENT",
  "ERR_WORKLOAD_API_PERMISSION_DENIED",
  "ERR_WORKLOAD_API_RUNTIME_PERMISSION",
  "ERR_WORKLOAD_API_BAD_RESPONSE",
  "ERR_WORKLOAD_API_CALL_FAILED",
  "ERR_WORKLOAD_API_ABORTED",
  "ERR_WORKLOAD_API_TIMEOUT",
  "ERR_WORKLOAD_API_CLOSED",
]);

function isWatchCode(code: string): code is WorkloadApiErrorCode {
  return WATCH_CODES.has(code);
}
