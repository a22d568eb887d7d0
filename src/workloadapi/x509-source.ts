import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import type { X509Svid } from "../core/svid/x509/x509-svid.ts";
import { LiveState } from "./live-state.ts";
import { type SourceOptions, sourceClient, waitForFirst } from "./source-options.ts";
import { UpdateHub } from "./update-hub.ts";
import type { WorkloadApiClient } from "./workload-api-client.ts";
import type { X509Context } from "./x509-context.ts";

/**
 * Options of {@link X509Source.create}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type X509SourceOptions = SourceOptions;

/**
 * What an {@link X509Source} update carries: the new default SVID and the whole context.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface X509SourceUpdate {
  /** The SVID the source serves now (the context's default, or the picked one). */
  readonly svid: X509Svid;
  /** The whole X.509 context of the update: every SVID and the bundles. */
  readonly context: X509Context;
}

/**
 * The workload's live X.509-SVID and X.509 bundles, kept up to date from the Workload API:
 * rotations are picked up as they happen, a bad response is discarded (the last good state
 * stays), and a `PermissionDenied` from the agent drops the SVID until it grants one again.
 *
 * It is both an X.509-SVID source and an X.509 bundle source, so it can be passed to
 * `verifyX509Svid(chain, source)` and to the mTLS adapters.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { X509Source, verifyX509Svid } from "@spiffe-ts/sdk";
 * await using source = await X509Source.create({ timeoutMs: 30_000 });
 * source.getX509Svid().id.toString(); // "spiffe://example.org/web"
 * const { id } = await verifyX509Svid(peerChain, source);
 * const stop = source.onUpdate(({ svid }) => console.log("rotated", svid.expiresAt));
 * ```
 */
export class X509Source {
  readonly #client: WorkloadApiClient;
  readonly #owned: boolean;
  readonly #state: LiveState<X509Context>;
  readonly #hub = new UpdateHub<X509SourceUpdate>();
  #closed = false;

  private constructor(client: WorkloadApiClient, owned: boolean, onError: ((e: WorkloadApiError) => void) | undefined) {
    this.#client = client;
    this.#owned = owned;
    this.#state = new LiveState<X509Context>(client, "x509", {
      onValue: (context) => this.#hub.emit({ svid: context.defaultSvid, context }),
      onError: (error) => {
        try {
          onError?.(error);
        } catch {
          // the caller's problem
        }
      },
    });
  }

  /**
   * Connects to the Workload API and resolves once the first X.509 context arrived.
   *
   * @throws {WorkloadApiError} an `ERR_WORKLOAD_API_ADDRESS_*` code (bad or missing address),
   *   `ERR_WORKLOAD_API_TIMEOUT` (no SVID within `timeoutMs`; the message names the last
   *   problem, e.g. PermissionDenied when the workload is not registered),
   *   `ERR_WORKLOAD_API_ABORTED`, `ERR_WORKLOAD_API_INVALID_ARGUMENT`,
   *   `ERR_WORKLOAD_API_RUNTIME_PERMISSION`, `ERR_WORKLOAD_API_BAD_REQUEST`.
   */
  static async create(options: X509SourceOptions = {}): Promise<X509Source> {
    const { client, owned } = sourceClient(options, "X509Source.create");
    const source = new X509Source(client, owned, options.onError);
    try {
      await waitForFirst(source.#state.ready, "X509Source.create", options, () => source.#state.lastError);
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  /** True while the source holds an SVID (false after PermissionDenied, and after close). */
  get healthy(): boolean {
    return !this.#closed && this.#state.value !== undefined;
  }

  /**
   * The current default X.509-SVID.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close, `ERR_WORKLOAD_API_NO_IDENTITY`
   *   while the agent grants no identity.
   */
  getX509Svid(): X509Svid {
    return this.#context("getX509Svid").defaultSvid;
  }

  /**
   * The whole current X.509 context (all SVIDs, bundles, CRLs).
   *
   * @throws {WorkloadApiError} as {@link X509Source.getX509Svid}.
   */
  getX509Context(): X509Context {
    return this.#context("getX509Context");
  }

  /**
   * The X.509 bundle of `trustDomain` (own or federated), or `undefined` when the agent sent none.
   *
   * @throws {WorkloadApiError} as {@link X509Source.getX509Svid}.
   * @throws {SpiffeIdError} if `trustDomain` is not a valid trust domain name.
   */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    const td = trustDomain instanceof TrustDomain ? trustDomain : TrustDomain.parse(trustDomain);
    return this.#context("getX509BundleForTrustDomain").bundles.get(td.name);
  }

  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate(listener: (update: X509SourceUpdate) => void): () => void {
    if (typeof listener !== "function") throw new WorkloadApiError("ERR_WORKLOAD_API_BAD_REQUEST", "onUpdate: listener must be a function");
    return this.#hub.subscribe(listener);
  }

  /** Iterates over the updates accepted after this call; ends on close or when `signal` aborts. */
  updates(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<X509SourceUpdate, void, undefined> {
    return this.#hub.iterate(options?.signal);
  }

  /** Stops watching and (unless a client was passed in) closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state.stop(new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", "the X509Source was closed"));
    this.#hub.close();
    if (this.#owned) await this.#client.close();
  }

  /** Same as {@link X509Source.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #context(what: string): X509Context {
    if (this.#closed) throw new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `X509Source.${what}: the source is closed`);
    const value = this.#state.value;
    if (value === undefined) {
      const last = this.#state.lastError;
      throw new WorkloadApiError(
        "ERR_WORKLOAD_API_NO_IDENTITY",
        `X509Source.${what}: the Workload API currently grants this workload no X.509-SVID${last ? ` (${last.code}: ${last.message})` : ""}`,
        last ? { cause: last, grpcStatus: last.grpcStatus } : undefined,
      );
    }
    return value;
  }
}
