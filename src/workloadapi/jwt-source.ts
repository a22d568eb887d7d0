import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import { toTrustDomain } from "../core/bundle/bundle-args.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { isSpiffeIdLike } from "../core/spiffeid/spiffe-id-like.ts";
import type { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import type { JwtSvid } from "../core/svid/jwt/jwt-svid.ts";
import type { SourceOptions } from "./source-options.ts";
import { SourceWatcher, type WatcherSpec } from "./source-watcher.ts";
import type { FetchJwtSvidOptions } from "./workload-api-client.ts";

/** Cached tokens kept at most (least recently fetched dropped first). */
const MAX_CACHED_SVIDS = 64;

/**
 * Options of {@link JwtSource.create}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface JwtSourceOptions extends SourceOptions {
  /**
   * Reuse a fetched JWT-SVID (per audience and subject) until half of its lifetime has
   * passed, then fetch a new one. The cache is emptied on every JWT bundle update.
   * Default `false`: every `fetchJwtSvid` asks the Workload API.
   */
  readonly cacheJwtSvids?: boolean;
}

/**
 * What a {@link JwtSource} update carries: the current JWT bundles by trust domain name.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface JwtSourceUpdate {
  /** The JWT bundles, by trust domain name. */
  readonly bundles: ReadonlyMap<string, JwtBundle>;
}

interface CacheEntry {
  readonly svid: Promise<JwtSvid>;
  /** When the token is due for a refresh (ms); `Infinity` while the fetch is in flight. */
  refreshAt: number;
}

const SPEC: WatcherSpec<"jwtBundles", JwtSourceUpdate> = {
  name: "JwtSource",
  streams: ["jwtBundles"],
  toUpdate: ({ jwtBundles }) => ({ bundles: jwtBundles }),
  missing: { jwtBundles: { code: "ERR_WORKLOAD_API_NO_BUNDLE", what: "JWT bundles" } },
};

/**
 * The workload's JWT-SVIDs and the live JWT bundles of every trust domain it trusts, from
 * the Workload API (`FetchJWTSVID`, `FetchJWTBundles` streamed). A bad bundle response is
 * discarded (the last good bundles stay); `PermissionDenied` drops the bundles. A key or
 * trust domain removed by an update stops validating as soon as the update arrived.
 *
 * It is a JWT bundle source, so it can be passed to `JwtSvid.parseAndValidate(token,
 * source, audience)` and to `requireJwtSvid`, and a JWT-SVID source for the `jwtSvid`
 * option of `createMtlsClient`.
 *
 * Exported from `@spiffe-ts/sdk` (where `create` needs a `client` or `transport`) and, with the
 * default transport (`SPIFFE_ENDPOINT_SOCKET`), from `@spiffe-ts/sdk/node`, `/bun` and `/deno`.
 *
 * @example
 * ```ts
 * import { JwtSource, JwtSvid } from "@spiffe-ts/sdk/node";
 * await using source = await JwtSource.create({ timeoutMs: 30_000, cacheJwtSvids: true });
 * const mine = await source.fetchJwtSvid({ audience: "spiffe://example.org/api" });
 * // on the receiving side:
 * const peer = await JwtSvid.parseAndValidate(receivedToken, source, "spiffe://example.org/api");
 * ```
 */
export class JwtSource {
  readonly #watcher: SourceWatcher<"jwtBundles", JwtSourceUpdate>;
  readonly #cache: Map<string, CacheEntry> | undefined;
  readonly #now: () => Date;

  /** Use {@link JwtSource.create}. */
  protected constructor(watcher: SourceWatcher<"jwtBundles", JwtSourceUpdate>, options: JwtSourceOptions) {
    this.#watcher = watcher;
    this.#cache = options.cacheJwtSvids === true ? new Map() : undefined;
    this.#now = options.now ?? (() => new Date());
    if (this.#cache) watcher.onUpdate(() => this.#cache?.clear());
  }

  /**
   * Connects to the Workload API and resolves once the first JWT bundles arrived.
   *
   * @throws {ConfigError} as `X509Source.create`.
   * @throws {ConfigError} as `X509Source.create`; option `"cacheJwtSvids"` when it is not a boolean.
   * @throws {WorkloadApiError} as `X509Source.create`.
   */
  static async create(options: JwtSourceOptions = {}): Promise<JwtSource> {
    if (typeof options === "object" && options !== null && options.cacheJwtSvids !== undefined && typeof options.cacheJwtSvids !== "boolean") {
      throw new ConfigError("cacheJwtSvids", `JwtSource.create: must be a boolean, got ${describeType(options.cacheJwtSvids)}`);
    }
    return new this(await SourceWatcher.start(options, SPEC), options);
  }

  /**
   * Fetches a JWT-SVID of this workload for `audience` (of `subject` when the workload has
   * several identities). With `cacheJwtSvids`, a token is reused until half its lifetime
   * has passed. The token comes from the local agent and is not re-validated (see
   * `WorkloadApiClient.fetchJwtSvid`).
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_CLOSED` after close, and the codes of
   *   `WorkloadApiClient.fetchJwtSvid`.
   */
  async fetchJwtSvid(options: FetchJwtSvidOptions): Promise<JwtSvid> {
    this.#watcher.ensureOpen("fetchJwtSvid");
    const key = this.#cache ? cacheKey(options) : undefined;
    const client = this.#watcher.client;
    if (key === undefined) return client.fetchJwtSvid(options);
    const cache = this.#cache!;
    const hit = cache.get(key);
    if (hit && this.#now().getTime() < hit.refreshAt) return hit.svid;
    const entry: CacheEntry = { svid: client.fetchJwtSvid(options), refreshAt: Infinity };
    cache.delete(key);
    cache.set(key, entry);
    while (cache.size > MAX_CACHED_SVIDS) cache.delete(cache.keys().next().value!);
    const fetchedAt = this.#now().getTime();
    try {
      const svid = await entry.svid;
      entry.refreshAt = fetchedAt + (svid.expiresAt.getTime() - fetchedAt) / 2;
      return svid;
    } catch (err) {
      if (cache.get(key) === entry) cache.delete(key);
      throw err;
    }
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

  /**
   * Every current JWT bundle, by trust domain name.
   *
   * @throws {WorkloadApiError} as {@link JwtSource.getJwtBundleForTrustDomain}.
   */
  getJwtBundles(): ReadonlyMap<string, JwtBundle> {
    return this.#watcher.current("jwtBundles", "getJwtBundles");
  }

  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate(listener: (update: JwtSourceUpdate) => void): () => void {
    return this.#watcher.onUpdate(listener);
  }

  /** Iterates over the updates accepted after this call; ends on close or when `signal` aborts. */
  updates(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<JwtSourceUpdate, void, undefined> {
    return this.#watcher.updates(options);
  }

  /** Stops watching, forgets cached tokens and (unless a client was passed in) closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.#cache?.clear();
    await this.#watcher.close();
  }

  /** Same as {@link JwtSource.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The cache key of a request (audience order and duplicates ignored), or `undefined` for a malformed one (left to the client to reject). */
function cacheKey(options: FetchJwtSvidOptions): string | undefined {
  if (typeof options !== "object" || options === null) return undefined;
  const { audience, subject } = options;
  const list = typeof audience === "string" ? [audience] : audience;
  if (!Array.isArray(list) || !list.every((a) => typeof a === "string")) return undefined;
  let sub = "";
  if (subject !== undefined) {
    const text = typeof subject === "string" ? subject : isSpiffeIdLike(subject) ? subject.toString() : undefined;
    if (text !== undefined && SpiffeId.canParse(text)) sub = SpiffeId.parse(text).toString();
    else return undefined;
  }
  return JSON.stringify([[...new Set(list)].sort(), sub]);
}
