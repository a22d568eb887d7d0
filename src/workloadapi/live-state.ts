// The latest good value of one Workload API watch, for the sources (internal): dropped on
// PermissionDenied, kept when a response is discarded, with a promise for the first value.
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { clientEvents, type WorkloadApiClient } from "./workload-api-client.ts";

type Which = Parameters<typeof clientEvents>[1];

/** Callbacks of a {@link LiveState}. */
export interface LiveStateHooks<T> {
  onValue(value: T): void;
  onError(error: WorkloadApiError): void;
}

/** Watches one stream in the background until {@link LiveState.stop}. */
export class LiveState<T> {
  #value: T | undefined;
  #lastError: WorkloadApiError | undefined;
  #fatal: WorkloadApiError | undefined;
  readonly #stop = new AbortController();
  readonly #ready: Promise<void>;
  #resolve!: () => void;
  #reject!: (err: WorkloadApiError) => void;

  constructor(client: WorkloadApiClient, which: Which, hooks: LiveStateHooks<T>) {
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#ready.catch(() => {});
    void this.#run(client, which, hooks).catch(() => {});
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

  async #run(client: WorkloadApiClient, which: Which, hooks: LiveStateHooks<T>): Promise<void> {
    for await (const ev of clientEvents(client, which, this.#stop.signal)) {
      if (ev.kind === "update") {
        this.#value = ev.value as T;
        this.#lastError = undefined;
        this.#resolve();
        hooks.onValue(ev.value as T);
        continue;
      }
      this.#lastError = ev.error;
      if (ev.error.code === "ERR_WORKLOAD_API_PERMISSION_DENIED") this.#value = undefined;
      if (!ev.retrying) {
        this.#fatal = ev.error;
        this.#reject(ev.error);
      }
      hooks.onError(ev.error);
    }
    if (!this.#stop.signal.aborted && !this.#fatal) {
      this.#reject(new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", "the Workload API client was closed"));
    }
  }
}
