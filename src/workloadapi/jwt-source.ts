import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import type { JwtSvid } from "../core/svid/jwt/jwt-svid.ts";
import { LiveState } from "./live-state.ts";
import { type SourceOptions, sourceClient, waitForFirst } from "./source-options.ts";
import { UpdateHub } from "./update-hub.ts";
import type { FetchJwtSvidOptions, WorkloadApiClient } from "./workload-api-client.ts";

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
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { JwtSource, JwtSvid } from "@spiffe-ts/sdk";
 * await using source = await JwtSource.create({ timeoutMs: 30_000, cacheJwtSvids: true });
 * const mine = await source.fetchJwtSvid({ audience: "spiffe://example.org/api" });
 * // on the receiving side:
 * const peer = await JwtSvid.parseAndValidate(receivedToken, source, "spiffe://example.org/api");
 * ```
 */
export class JwtSource {
  readonly #client: WorkloadApiClient;
  readonly #owned: boolean;
  readonly #state: LiveState<ReadonlyMap<string, JwtBundle>>;
  readonly #hub = new UpdateHub<JwtSourceUpdate>();
  readonly #cache: Map<string, CacheEntry> | undefined;
  readonly #now: () => Date;
  #closed = false;

  private constructor(client: WorkloadApiClient, owned: boolean, options: JwtSourceOptions) {
    this.#client = client;
    this.#owned = owned;
    this.#cache = options.cacheJwtSvids === true ? new Map() : undefined;
    this.#now = options.now ?? (() => new Date());
    const onError = options.onError;
    this.#state = new LiveState<ReadonlyMap<string, JwtBundle>>(client, "jwtBundles", {
      onValue: (bundles) => {
        this.#cache?.clear();
        this.#hub.emit({ bundles });
      },
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
   * Connects to the Workload API and resolves once the first JWT bundles arrived.
   *
   * @throws {WorkloadApiError} as `X509Source.create`; `ERR_WORKLOAD_API_BAD_REQUEST` when
   *   `cacheJwtSvids` is not a boolean.
   */
  static async create(options: JwtSourceOptions = {}): Promise<JwtSource> {
    const { client, owned } = sourceClient(options, "JwtSource.create");
    if (options.cacheJwtSvids !== undefined && typeof options.cacheJwtSvids !== "boolean") {
      if (owned) await client.close();
      throw new WorkloadApiError("ERR_WORKLOAD_API_BAD_REQUEST", "JwtSource.create: cacheJwtSvids must be a boolean");
    }
    const source = new JwtSource(client, owned, options);
    try {
      await waitForFirst(source.#state.ready, "JwtSource.create", options, () => source.#state.lastError);
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
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
    this.#ensureOpen("fetchJwtSvid");
    const key = this.#cache ? cacheKey(options) : undefined;
    if (key === undefined) return this.#client.fetchJwtSvid(options);
    const cache = this.#cache!;
    const hit = cache.get(key);
    if (hit && this.#now().getTime() < hit.refreshAt) return hit.svid;
    const entry: CacheEntry = { svid: this.#client.fetchJwtSvid(options), refreshAt: Infinity };
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
    const td = trustDomain instanceof TrustDomain ? trustDomain : TrustDomain.parse(trustDomain);
    return this.getJwtBundles().get(td.name);
  }

  /**
   * Every current JWT bundle, by trust domain name.
   *
   * @throws {WorkloadApiError} as {@link JwtSource.getJwtBundleForTrustDomain}.
   */
  getJwtBundles(): ReadonlyMap<string, JwtBundle> {
    this.#ensureOpen("getJwtBundles");
    const value = this.#state.value;
    if (value === undefined) {
      const last = this.#state.lastError;
      throw new WorkloadApiError(
        "ERR_WORKLOAD_API_NO_BUNDLE",
        `JwtSource: the Workload API currently grants this workload no JWT bundles${last ? ` (${last.code}: ${last.message})` : ""}`,
        last ? { cause: last, grpcStatus: last.grpcStatus } : undefined,
      );
    }
    return value;
  }

  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate(listener: (update: JwtSourceUpdate) => void): () => void {
    if (typeof listener !== "function") throw new WorkloadApiError("ERR_WORKLOAD_API_BAD_REQUEST", "onUpdate: listener must be a function");
    return this.#hub.subscribe(listener);
  }

  /** Iterates over the updates accepted after this call; ends on close or when `signal` aborts. */
  updates(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<JwtSourceUpdate, void, undefined> {
    return this.#hub.iterate(options?.signal);
  }

  /** Stops watching, forgets cached tokens and (unless a client was passed in) closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache?.clear();
    this.#state.stop(new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", "the JwtSource was closed"));
    this.#hub.close();
    if (this.#owned) await this.#client.close();
  }

  /** Same as {@link JwtSource.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #ensureOpen(what: string): void {
    if (this.#closed) throw new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `JwtSource.${what}: the source is closed`);
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
    if (subject instanceof SpiffeId) sub = subject.toString();
    else if (typeof subject === "string" && SpiffeId.canParse(subject)) sub = SpiffeId.parse(subject).toString();
    else return undefined;
  }
  return JSON.stringify([[...new Set(list)].sort(), sub]);
}
