import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { toTrustDomain } from "../core/bundle/bundle-args.ts";
import type { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import type { SourceOptions } from "./source-options.ts";
import { SourceWatcher, type WatcherSpec } from "./source-watcher.ts";

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

const SPEC: WatcherSpec<"x509Bundles" | "jwtBundles", BundleSourceUpdate> = {
  name: "BundleSource",
  streams: ["x509Bundles", "jwtBundles"],
  toUpdate: ({ x509Bundles, jwtBundles }) => ({ x509Bundles, jwtBundles }),
  missing: {
    x509Bundles: { code: "ERR_WORKLOAD_API_NO_BUNDLE", what: "X.509 bundles" },
    jwtBundles: { code: "ERR_WORKLOAD_API_NO_BUNDLE", what: "JWT bundles" },
  },
};

/**
 * The live X.509 and JWT bundles of every trust domain the workload trusts, from the
 * Workload API's bundle streams (`FetchX509Bundles`, `FetchJWTBundles`). For workloads that
 * verify peers but have no SVID of their own. A bad response is discarded (the last good
 * bundles stay); `PermissionDenied` drops the bundles of that stream.
 *
 * It is an X.509 bundle source and a JWT bundle source, so it can be passed to
 * `verifyX509Svid(chain, source)`.
 *
 * Exported from `@spiffe-ts/sdk` (where `create` needs a `client` or `transport`) and, with the
 * default transport (`SPIFFE_ENDPOINT_SOCKET`), from `@spiffe-ts/sdk/node`, `/bun` and `/deno`.
 *
 * @example
 * ```ts
 * import { BundleSource, verifyX509Svid } from "@spiffe-ts/sdk/node";
 * await using bundles = await BundleSource.create({ timeoutMs: 30_000 });
 * const { id } = await verifyX509Svid(peerChain, bundles);
 * ```
 */
export class BundleSource {
  readonly #watcher: SourceWatcher<"x509Bundles" | "jwtBundles", BundleSourceUpdate>;

  /** Use {@link BundleSource.create}. */
  protected constructor(watcher: SourceWatcher<"x509Bundles" | "jwtBundles", BundleSourceUpdate>) {
    this.#watcher = watcher;
  }

  /**
   * Connects to the Workload API and resolves once both the X.509 and the JWT bundles arrived.
   *
   * @throws {ConfigError} as `X509Source.create`.
   * @throws {WorkloadApiError} as `X509Source.create`.
   */
  static async create(options: BundleSourceOptions = {}): Promise<BundleSource> {
    return new this(await SourceWatcher.start(options, SPEC));
  }

  /**
   * The X.509 bundle of `trustDomain`, or `undefined` when the agent sent none.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close, `ERR_WORKLOAD_API_NO_BUNDLE`
   *   while the agent grants no X.509 bundles.
   * @throws {SpiffeIdError} if `trustDomain` is not a valid trust domain name.
   */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    const name = toTrustDomain(trustDomain).name;
    return this.#watcher.current("x509Bundles", "getX509BundleForTrustDomain").get(name);
  }

  /**
   * The JWT bundle of `trustDomain`, or `undefined` when the agent sent none.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close, `ERR_WORKLOAD_API_NO_BUNDLE`
   *   while the agent grants no JWT bundles.
   * @throws {SpiffeIdError} if `trustDomain` is not a valid trust domain name.
   */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain | string): JwtBundle | undefined {
    const name = toTrustDomain(trustDomain).name;
    return this.#watcher.current("jwtBundles", "getJwtBundleForTrustDomain").get(name);
  }

  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate(listener: (update: BundleSourceUpdate) => void): () => void {
    return this.#watcher.onUpdate(listener);
  }

  /** Iterates over the updates accepted after this call; ends on close or when `signal` aborts. */
  updates(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<BundleSourceUpdate, void, undefined> {
    return this.#watcher.updates(options);
  }

  /** Stops watching and (unless a client was passed in) closes the connection. Idempotent. */
  async close(): Promise<void> {
    await this.#watcher.close();
  }

  /** Same as {@link BundleSource.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
