// What X509Source, JwtSource and BundleSource share (as go-spiffe's workloadapi/watcher.go):
// the client (created and owned, or given), one LiveState per watched stream, waiting for the
// first value of every stream, the update fan-out, reported problems, "no identity" errors
// and close. Each source only says which streams it watches and what its update carries.
import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { WorkloadApiError, type WorkloadApiErrorCode } from "../core/errors/workload-api-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { LiveState, type OpenWatch } from "./live-state.ts";
import { type SourceOptions, sourceClient, waitForFirst } from "./source-options.ts";
import { UpdateHub } from "./update-hub.ts";
import type { WorkloadApiClientLike } from "./workload-api-client-like.ts";
import type { X509Context } from "./x509-context.ts";

/** The values of the streams a source can watch. */
export interface StreamValues {
  readonly x509Context: X509Context;
  readonly x509Bundles: ReadonlyMap<string, X509Bundle>;
  readonly jwtBundles: ReadonlyMap<string, JwtBundle>;
}

/** One of the client's watches. */
export type StreamName = keyof StreamValues;

/** What one source watches and what it tells its listeners (internal). */
export interface WatcherSpec<S extends StreamName, U> {
  /** The source's name, for messages: `"X509Source"`. */
  readonly name: string;
  /** The streams to watch; the source is ready once each has sent a value. */
  readonly streams: readonly S[];
  /** The update to emit after a stream's new value, from the current values (each defined). */
  toUpdate(values: Pick<StreamValues, S>): U;
  /** What is missing while a stream has no value (after PermissionDenied), for errors. */
  readonly missing: { readonly [K in S]: { readonly code: WorkloadApiErrorCode; readonly what: string } };
}

const OPEN: { readonly [K in StreamName]: (client: WorkloadApiClientLike) => OpenWatch<StreamValues[K]> } = {
  x509Context: (client) => (o) => client.watchX509Context(o),
  x509Bundles: (client) => (o) => client.watchX509Bundles(o),
  jwtBundles: (client) => (o) => client.watchJwtBundles(o),
};

/** The live state of a source's streams and its listeners (internal). */
export class SourceWatcher<S extends StreamName, U> {
  readonly client: WorkloadApiClientLike;
  readonly #owned: boolean;
  readonly #spec: WatcherSpec<S, U>;
  readonly #states: Map<S, LiveState<StreamValues[S]>>;
  readonly #hub = new UpdateHub<U>();
  #closed = false;

  private constructor(client: WorkloadApiClientLike, owned: boolean, spec: WatcherSpec<S, U>, onError: ((e: WorkloadApiError) => void) | undefined) {
    this.client = client;
    this.#owned = owned;
    this.#spec = spec;
    const hooks = {
      onValue: () => {
        const values = this.#values();
        if (values !== undefined) this.#hub.emit(spec.toUpdate(values));
      },
      onError: (error: WorkloadApiError) => {
        try {
          onError?.(error);
        } catch {
          // the caller's problem
        }
      },
    };
    this.#states = new Map(spec.streams.map((s) => [s, new LiveState<StreamValues[S]>(OPEN[s](client), hooks)]));
  }

  /**
   * Starts watching with the client of `options` and resolves once every stream sent a
   * first value (bounded by `options.timeoutMs` and `options.signal`).
   *
   * @throws {WorkloadApiError} as `X509Source.create`.
   */
  static async start<S extends StreamName, U>(options: SourceOptions, spec: WatcherSpec<S, U>): Promise<SourceWatcher<S, U>> {
    const what = `${spec.name}.create`;
    const { client, owned } = sourceClient(options, what);
    const watcher = new SourceWatcher(client, owned, spec, options.onError);
    const states = [...watcher.#states.values()];
    try {
      await waitForFirst(Promise.all(states.map((s) => s.ready)), what, options, () => states.find((s) => s.lastError)?.lastError);
    } catch (err) {
      await watcher.close();
      throw err;
    }
    return watcher;
  }

  /** True while the source is open and every stream has a value. */
  get healthy(): boolean {
    return !this.#closed && this.#values() !== undefined;
  }

  /**
   * The current value of `stream`.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close; the stream's `missing`
   *   code (naming the last problem) while it has no value.
   */
  current<K extends S>(stream: K, method: string): StreamValues[K] {
    if (this.#closed) throw new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `${this.#spec.name}.${method}: the source is closed`);
    const state = this.#states.get(stream) as LiveState<StreamValues[K]> | undefined;
    const value = state?.value;
    if (value === undefined) {
      const last = state?.lastError;
      const missing = this.#spec.missing[stream];
      throw new WorkloadApiError(
        missing.code,
        `${this.#spec.name}.${method}: the Workload API currently grants this workload no ${missing.what}${last ? ` (${last.code}: ${last.message})` : ""}`,
        last ? { cause: last, grpcStatus: last.grpcStatus } : undefined,
      );
    }
    return value;
  }

  /** Throws `ERR_WORKLOAD_API_CLOSED` after close. */
  ensureOpen(method: string): void {
    if (this.#closed) throw new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `${this.#spec.name}.${method}: the source is closed`);
  }

  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate(listener: (update: U) => void): () => void {
    if (typeof listener !== "function") throw new InvalidArgumentError("listener", `onUpdate: listener must be a function, got ${describeType(listener)}`);
    return this.#hub.subscribe(listener);
  }

  /** Iterates over the updates accepted after this call; ends on close or when `signal` aborts. */
  updates(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<U, void, undefined> {
    return this.#hub.iterate(options?.signal);
  }

  /** Stops watching and (when it created the client) closes the client. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `the ${this.#spec.name} was closed`);
    for (const state of this.#states.values()) state.stop(reason);
    this.#hub.close();
    if (this.#owned) await this.client.close();
  }

  /** Every stream's value, or undefined while one has none. */
  #values(): Pick<StreamValues, S> | undefined {
    const out: Partial<Record<S, StreamValues[S]>> = {};
    for (const [stream, state] of this.#states) {
      if (state.value === undefined) return undefined;
      out[stream] = state.value;
    }
    return out as Pick<StreamValues, S>;
  }
}
