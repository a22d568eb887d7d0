import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { LiveState } from "./live-state.ts";
import { type SourceOptions, sourceClient, waitForFirst } from "./source-options.ts";
import { UpdateHub } from "./update-hub.ts";
import type { WorkloadApiClient } from "./workload-api-client.ts";

/**
 * Options of {@link BundleSource.create}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type BundleSourceOptions = SourceOptions;

/**
 * What a {@link BundleSource} update carries: the current X.509 and JWT bundles by trust
 * domain name (either may be empty while the agent denies access).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface BundleSourceUpdate {
  /** The X.509 bundles, by trust domain name. */
  readonly x509Bundles: ReadonlyMap<string, X509Bundle>;
  /** The JWT bundles, by trust domain name. */
  readonly jwtBundles: ReadonlyMap<string, JwtBundle>;
}

/**
 * The live X.509 and JWT bundles of every trust domain the workload trusts, from the
 * Workload API's bundle streams (`FetchX509Bundles`, `FetchJWTBundles`). For workloads that
 * verify peers but have no SVID of their own. A bad response is discarded (the last good
 * bundles stay); `PermissionDenied` drops the bundles of that stream.
 *
 * It is an X.509 bundle source and a JWT bundle source, so it can be passed to
 * `verifyX509Svid(chain, source)`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { BundleSource, verifyX509Svid } from "@spiffe-ts/sdk";
 * await using bundles = await BundleSource.create({ timeoutMs: 30_000 });
 * const { id } = await verifyX509Svid(peerChain, bundles);
 * ```
 */
export class BundleSource {
  readonly #client: WorkloadApiClient;
  readonly #owned: boolean;
  readonly #x509: LiveState<ReadonlyMap<string, X509Bundle>>;
  readonly #jwt: LiveState<ReadonlyMap<string, JwtBundle>>;
  readonly #hub = new UpdateHub<BundleSourceUpdate>();
  #closed = false;

  private constructor(client: WorkloadApiClient, owned: boolean, onError: ((e: WorkloadApiError) => void) | undefined) {
    this.#client = client;
    this.#owned = owned;
    const hooks = {
      onValue: () => {
        if (this.#x509.value !== undefined && this.#jwt.value !== undefined) this.#hub.emit(this.#snapshot());
      },
      onError: (error: WorkloadApiError) => {
        try {
          onError?.(error);
        } catch {
          // the caller's problem
        }
      },
    };
    this.#x509 = new LiveState(client, "x509Bundles", hooks);
    this.#jwt = new LiveState(client, "jwtBundles", hooks);
  }

  /**
   * Connects to the Workload API and resolves once both the X.509 and the JWT bundles arrived.
   *
   * @throws {WorkloadApiError} as `X509Source.create`.
   */
  static async create(options: BundleSourceOptions = {}): Promise<BundleSource> {
    const { client, owned } = sourceClient(options, "BundleSource.create");
    const source = new BundleSource(client, owned, options.onError);
    try {
      await waitForFirst(Promise.all([source.#x509.ready, source.#jwt.ready]), "BundleSource.create", options, () => source.#x509.lastError ?? source.#jwt.lastError);
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  /**
   * The X.509 bundle of `trustDomain`, or `undefined` when the agent sent none.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close, `ERR_WORKLOAD_API_NO_BUNDLE`
   *   while the agent grants no X.509 bundles.
   * @throws {SpiffeIdError} if `trustDomain` is not a valid trust domain name.
   */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    return this.#get(this.#x509, "getX509BundleForTrustDomain", "X.509").get(toName(trustDomain));
  }

  /**
   * The JWT bundle of `trustDomain`, or `undefined` when the agent sent none.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close, `ERR_WORKLOAD_API_NO_BUNDLE`
   *   while the agent grants no JWT bundles.
   * @throws {SpiffeIdError} if `trustDomain` is not a valid trust domain name.
   */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain | string): JwtBundle | undefined {
    return this.#get(this.#jwt, "getJwtBundleForTrustDomain", "JWT").get(toName(trustDomain));
  }

  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate(listener: (update: BundleSourceUpdate) => void): () => void {
    if (typeof listener !== "function") throw new WorkloadApiError("ERR_WORKLOAD_API_BAD_REQUEST", "onUpdate: listener must be a function");
    return this.#hub.subscribe(listener);
  }

  /** Iterates over the updates accepted after this call; ends on close or when `signal` aborts. */
  updates(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<BundleSourceUpdate, void, undefined> {
    return this.#hub.iterate(options?.signal);
  }

  /** Stops watching and (unless a client was passed in) closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", "the BundleSource was closed");
    this.#x509.stop(reason);
    this.#jwt.stop(reason);
    this.#hub.close();
    if (this.#owned) await this.#client.close();
  }

  /** Same as {@link BundleSource.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #snapshot(): BundleSourceUpdate {
    return { x509Bundles: this.#x509.value ?? new Map(), jwtBundles: this.#jwt.value ?? new Map() };
  }

  #get<T>(state: LiveState<ReadonlyMap<string, T>>, what: string, kind: string): ReadonlyMap<string, T> {
    if (this.#closed) throw new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `BundleSource.${what}: the source is closed`);
    const value = state.value;
    if (value === undefined) {
      const last = state.lastError;
      throw new WorkloadApiError(
        "ERR_WORKLOAD_API_NO_BUNDLE",
        `BundleSource.${what}: the Workload API currently grants this workload no ${kind} bundles${last ? ` (${last.code}: ${last.message})` : ""}`,
        last ? { cause: last, grpcStatus: last.grpcStatus } : undefined,
      );
    }
    return value;
  }
}

function toName(td: TrustDomain | string): string {
  return (td instanceof TrustDomain ? td : TrustDomain.parse(td)).name;
}
