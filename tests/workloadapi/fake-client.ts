// An in-memory Workload API client for source unit tests: no socket, no server. Each watch
// replays the stream's current value, then what the test pushes: values, recoverable errors
// (through onError, as the real client reports them) and fatal errors (thrown).
import type { JwtBundle } from "../../src/core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../../src/core/bundle/x509-bundle.ts";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import type { JwtSvid } from "../../src/core/svid/jwt/jwt-svid.ts";
import type { FetchJwtSvidOptions, WorkloadApiWatchOptions } from "../../src/workloadapi/workload-api-client.ts";
import type { WorkloadApiClientLike } from "../../src/workloadapi/workload-api-client-like.ts";
import type { X509Context } from "../../src/workloadapi/x509-context.ts";

type Event<T> = { kind: "value"; value: T } | { kind: "error"; error: WorkloadApiError } | { kind: "fatal"; error: WorkloadApiError };

/** One stream of the fake: what every open watch sees. */
export class FakeStream<T> {
  #current: T | undefined;
  readonly #watchers = new Set<(event: Event<T>) => void>();
  /** Watches opened so far. */
  opened = 0;

  /** Watches currently open. */
  get open(): number {
    return this.#watchers.size;
  }

  /** A new value (kept as the current one for watches opened later). */
  push(value: T): void {
    this.#current = value;
    this.#emit({ kind: "value", value });
  }

  /** A problem the watch recovers from; PermissionDenied also forgets the current value. */
  fail(code: WorkloadApiError["code"], message = "fake"): void {
    if (code === "ERR_WORKLOAD_API_PERMISSION_DENIED") this.#current = undefined;
    this.#emit({ kind: "error", error: new WorkloadApiError(code, message) });
  }

  /** A problem that ends every open watch (thrown from the iteration). */
  fatal(code: WorkloadApiError["code"], message = "fake"): void {
    this.#emit({ kind: "fatal", error: new WorkloadApiError(code, message) });
  }

  #emit(event: Event<T>): void {
    for (const w of [...this.#watchers]) w(event);
  }

  async *watch(options: WorkloadApiWatchOptions, closed: AbortSignal): AsyncGenerator<T, void, undefined> {
    this.opened++;
    const queue: Event<T>[] = this.#current === undefined ? [] : [{ kind: "value", value: this.#current }];
    let wake: (() => void) | undefined;
    const listener = (event: Event<T>): void => {
      queue.push(event);
      wake?.();
    };
    const stop = options.signal ? AbortSignal.any([options.signal, closed]) : closed;
    const onStop = (): void => wake?.();
    stop.addEventListener("abort", onStop);
    this.#watchers.add(listener);
    try {
      while (!stop.aborted) {
        const event = queue.shift();
        if (event === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (event.kind === "value") yield event.value;
        else if (event.kind === "error") options.onError?.(event.error);
        else throw event.error;
      }
    } finally {
      this.#watchers.delete(listener);
      stop.removeEventListener("abort", onStop);
    }
  }
}

/** The fake client: three streams, scripted JWT-SVID answers, and a record of close(). */
export class FakeWorkloadApiClient implements WorkloadApiClientLike {
  readonly x509Context = new FakeStream<X509Context>();
  readonly x509Bundles = new FakeStream<ReadonlyMap<string, X509Bundle>>();
  readonly jwtBundles = new FakeStream<ReadonlyMap<string, JwtBundle>>();
  readonly #closed = new AbortController();
  /** What fetchJwtSvid answers; the requests it got. */
  jwtSvid: (options: FetchJwtSvidOptions) => Promise<JwtSvid> = () => Promise.reject(new WorkloadApiError("ERR_WORKLOAD_API_UNAVAILABLE", "fake: no JWT-SVID scripted"));
  readonly jwtRequests: FetchJwtSvidOptions[] = [];

  get closed(): boolean {
    return this.#closed.signal.aborted;
  }

  watchX509Context(options: WorkloadApiWatchOptions): AsyncIterable<X509Context> {
    return this.x509Context.watch(options, this.#closed.signal);
  }

  watchX509Bundles(options: WorkloadApiWatchOptions): AsyncIterable<ReadonlyMap<string, X509Bundle>> {
    return this.x509Bundles.watch(options, this.#closed.signal);
  }

  watchJwtBundles(options: WorkloadApiWatchOptions): AsyncIterable<ReadonlyMap<string, JwtBundle>> {
    return this.jwtBundles.watch(options, this.#closed.signal);
  }

  fetchJwtSvid(options: FetchJwtSvidOptions): Promise<JwtSvid> {
    this.jwtRequests.push(options);
    return this.jwtSvid(options);
  }

  async close(): Promise<void> {
    this.#closed.abort();
  }
}
