import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { toTrustDomain } from "../core/bundle/bundle-args.ts";
import type { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import type { X509Svid } from "../core/svid/x509/x509-svid.ts";
import type { SourceOptions } from "./source-options.ts";
import { SourceWatcher, type WatcherSpec } from "./source-watcher.ts";
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

const SPEC: WatcherSpec<"x509Context", X509SourceUpdate> = {
  name: "X509Source",
  streams: ["x509Context"],
  toUpdate: ({ x509Context }) => ({ svid: x509Context.defaultSvid, context: x509Context }),
  missing: { x509Context: { code: "ERR_WORKLOAD_API_NO_IDENTITY", what: "X.509-SVID" } },
};

/**
 * The workload's live X.509-SVID and X.509 bundles, kept up to date from the Workload API:
 * rotations are picked up as they happen, a bad response is discarded (the last good state
 * stays), and a `PermissionDenied` from the agent drops the SVID until it grants one again.
 *
 * It is both an X.509-SVID source and an X.509 bundle source, so it can be passed to
 * `verifyX509Svid(chain, source)` and to the mTLS adapters.
 *
 * Exported from `@spiffe-ts/sdk` (where `create` needs a `client` or `transport`) and, with the
 * default transport (`SPIFFE_ENDPOINT_SOCKET`), from `@spiffe-ts/sdk/node`, `/bun` and `/deno`.
 *
 * @example
 * ```ts
 * import { X509Source, verifyX509Svid } from "@spiffe-ts/sdk/node";
 * await using source = await X509Source.create({ timeoutMs: 30_000 });
 * source.getX509Svid().id.toString(); // "spiffe://example.org/web"
 * const { id } = await verifyX509Svid(peerChain, source);
 * const stop = source.onUpdate(({ svid }) => console.log("rotated", svid.expiresAt));
 * ```
 */
export class X509Source {
  readonly #watcher: SourceWatcher<"x509Context", X509SourceUpdate>;

  /** Use {@link X509Source.create}. */
  protected constructor(watcher: SourceWatcher<"x509Context", X509SourceUpdate>) {
    this.#watcher = watcher;
  }

  /**
   * Connects to the Workload API and resolves once the first X.509 context arrived.
   *
   * @throws {ConfigError} `ERR_INVALID_ARGUMENT` (option `"transport"`) from
   *   `@spiffe-ts/sdk` without `client` or `transport` (import it from a runtime entry); the
   *   name of any other refused option (`"options"`, `"timeoutMs"`, `"client"`, `"onError"`, …).
   * @throws {WorkloadApiError} an `ERR_WORKLOAD_API_ADDRESS_*` code (bad or missing address),
   *   `ERR_WORKLOAD_API_TIMEOUT` (no SVID within `timeoutMs`; the message names the last
   *   problem, e.g. PermissionDenied when the workload is not registered),
   *   `ERR_WORKLOAD_API_ABORTED`, `ERR_WORKLOAD_API_INVALID_ARGUMENT`,
   *   `ERR_WORKLOAD_API_RUNTIME_PERMISSION`.
   */
  static async create(options: X509SourceOptions = {}): Promise<X509Source> {
    return new this(await SourceWatcher.start(options, SPEC));
  }

  /** True while the source holds an SVID (false after PermissionDenied, and after close). */
  get healthy(): boolean {
    return this.#watcher.healthy;
  }

  /**
   * The current default X.509-SVID.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close, `ERR_WORKLOAD_API_NO_IDENTITY`
   *   while the agent grants no identity.
   */
  getX509Svid(): X509Svid {
    return this.#watcher.current("x509Context", "getX509Svid").defaultSvid;
  }

  /**
   * The whole current X.509 context (all SVIDs, bundles, CRLs).
   *
   * @throws {WorkloadApiError} as {@link X509Source.getX509Svid}.
   */
  getX509Context(): X509Context {
    return this.#watcher.current("x509Context", "getX509Context");
  }

  /**
   * The X.509 bundle of `trustDomain` (own or federated), or `undefined` when the agent sent none.
   *
   * @throws {WorkloadApiError} as {@link X509Source.getX509Svid}.
   * @throws {SpiffeIdError} if `trustDomain` is not a valid trust domain name.
   */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    const context = this.#watcher.current("x509Context", "getX509BundleForTrustDomain");
    return context.bundles.get(toTrustDomain(trustDomain).name);
  }

  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate(listener: (update: X509SourceUpdate) => void): () => void {
    return this.#watcher.onUpdate(listener);
  }

  /** Iterates over the updates accepted after this call; ends on close or when `signal` aborts. */
  updates(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<X509SourceUpdate, void, undefined> {
    return this.#watcher.updates(options);
  }

  /** Stops watching and (unless a client was passed in) closes the connection. Idempotent. */
  async close(): Promise<void> {
    await this.#watcher.close();
  }

  /** Same as {@link X509Source.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
