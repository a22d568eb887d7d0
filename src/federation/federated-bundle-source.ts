import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { SpiffeBundle } from "../core/bundle/spiffe-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { lookupName } from "../core/bundle/bundle-args.ts";
import { FederationError } from "../core/errors/federation-error.ts";
import type { Logger } from "../core/logger.ts";
import type { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { positiveInteger } from "./fetch-bundle.ts";
import { type BundleWatch, watchBundle, type WatchBundleOptions, type WatchTimers } from "./watch-bundle.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { refuseOption } from "./refuse-option.ts";
import { ConfigError } from "../core/errors/config-error.ts";

/**
 * One federation relationship (SPIFFE Federation §6.1): the bundle endpoint of a foreign
 * trust domain and how to read it. The per-endpoint options of `watchBundle`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface FederationRelationship extends Omit<WatchBundleOptions, "onUpdate" | "onError" | "logger" | "timers"> {
  /** The bundle endpoint URL (`https:`). */
  readonly url: string | URL;
}

/**
 * Options of {@link FederatedBundleSource.create}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface FederatedBundleSourceOptions {
  /** How long `create` waits for the first bundle of every relationship, ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** Called with each new bundle of any trust domain. Must not block. */
  readonly onUpdate?: (bundle: SpiffeBundle) => void;
  /** Called with each failed poll of any endpoint; the last good bundle stays. Must not block. */
  readonly onError?: (error: FederationError) => void;
  /** Updates (info) and failed polls (warn). Silent by default. */
  readonly logger?: Logger;
  /** Timer functions, for tests. */
  readonly timers?: WatchTimers;
}

/**
 * The live bundles of federated trust domains, each kept current from its bundle endpoint by
 * a `watchBundle` (refresh hint, last good bundle kept on errors, rollbacks refused). It is
 * an X.509 and a JWT bundle source, so `verifyX509Svid(chain, source)`,
 * `JwtSvid.parseAndValidate(token, source, audience)`, `createBundleEndpointHandler` and
 * the mTLS servers and clients take it directly. Bundles stay apart by trust domain: a peer
 * is only ever verified with the bundle of its own trust domain (§4.2, §7.3).
 *
 * go-spiffe has no such type (its `WatchBundle` takes a callback); this is the
 * `X509Source`-style long-lived source for federation.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { FederatedBundleSource, JwtSvid, verifyX509Svid } from "@spiffe-ts/sdk";
 * await using partners = await FederatedBundleSource.create([
 *   { url: "https://bundles.partner.example/bundle.json", trustDomain: "partner.example", profile: "https_web" },
 * ]);
 * const { id } = await verifyX509Svid(peerChain, partners);
 * const svid = await JwtSvid.parseAndValidate(token, partners, "spiffe://example.org/api");
 * ```
 */
export class FederatedBundleSource {
  readonly #watches: ReadonlyMap<string, BundleWatch>;
  readonly #listeners: Set<(bundle: SpiffeBundle) => void>;
  #closed = false;

  private constructor(watches: ReadonlyMap<string, BundleWatch>, listeners: Set<(bundle: SpiffeBundle) => void>) {
    this.#watches = watches;
    this.#listeners = listeners;
  }

  /**
   * Starts watching every relationship and resolves once each has a bundle.
   *
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` at once: argument `"relationships"`
   *   (none, one that is not an object, two for one trust domain); a `ConfigError` naming a
   *   refused option (of `options` or of a relationship).
   * @throws {FederationError} `ERR_FEDERATION_ENDPOINT_URL` at once; when a
   *   relationship has no bundle within `timeoutMs`, the error of its last poll (e.g.
   *   `ERR_FEDERATION_UNREACHABLE`) or `ERR_FEDERATION_TIMEOUT`; every watch is closed then.
   */
  static async create(relationships: readonly FederationRelationship[], options: FederatedBundleSourceOptions = {}): Promise<FederatedBundleSource> {
    if (!Array.isArray(relationships) || relationships.length === 0) {
      throw new InvalidArgumentError("relationships", `relationships: needs a non-empty array of { url, trustDomain, profile }, got ${Array.isArray(relationships) ? "an empty array" : describeType(relationships)}`);
    }
    if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `FederatedBundleSource.create: options must be an object, got ${describeType(options)}`);
    const timeoutMs = positiveInteger(options.timeoutMs, "timeoutMs", 30_000, 24 * 3_600_000, refuseOption);
    if (options.onUpdate !== undefined && typeof options.onUpdate !== "function") throw new ConfigError("onUpdate", `must be a function, got ${describeType(options.onUpdate)}`);
    const listeners = new Set<(bundle: SpiffeBundle) => void>();
    const onUpdate = (bundle: SpiffeBundle): void => {
      for (const listener of [options.onUpdate, ...listeners]) {
        try {
          listener?.(bundle);
        } catch {
          // the listener's problem; the watch and the other listeners go on
        }
      }
    };
    const watches = new Map<string, BundleWatch>();
    const closeAll = (): void => watches.forEach((w) => w.close());
    try {
      for (const relationship of relationships) {
        if (typeof relationship !== "object" || relationship === null) throw new InvalidArgumentError("relationships", `relationships: each must be { url, trustDomain, profile }, got ${describeType(relationship)}`);
        const watch = watchBundle(relationship.url, { ...relationship, onUpdate, onError: options.onError, logger: options.logger, timers: options.timers });
        if (watches.has(watch.trustDomain.name)) {
          watch.close();
          throw new InvalidArgumentError("relationships", `relationships: two for trust domain "${watch.trustDomain.name}"; bundles of one trust domain are never merged (SPIFFE Federation §4.2)`);
        }
        watches.set(watch.trustDomain.name, watch);
      }
    } catch (err) {
      closeAll();
      throw err;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => (timer = setTimeout(() => resolve("expired"), timeoutMs)));
    const outcome = await Promise.race([Promise.all([...watches.values()].map((w) => w.ready)), expired]);
    clearTimeout(timer);
    if (outcome === "expired") {
      closeAll();
      const missing = [...watches.values()].find((w) => w.bundle === undefined)!;
      const last = missing.lastError;
      const message = `FederatedBundleSource.create: no bundle of "${missing.trustDomain.name}" from ${missing.url.href} within ${timeoutMs} ms`;
      throw new FederationError(last?.code ?? "ERR_FEDERATION_TIMEOUT", last ? `${message}: ${last.message}` : message, { url: missing.url.href, cause: last, status: last?.status });
    }
    return new FederatedBundleSource(watches, listeners);
  }

  /**
   * The current SPIFFE bundle of `trustDomain`, or `undefined` if it is not federated here
   * (generic bundle-source interface).
   *
   * @throws {FederationError} `ERR_FEDERATION_CLOSED` after `close()`.
   */
  getForTrustDomain(trustDomain: TrustDomain | string): SpiffeBundle | undefined {
    if (this.#closed) throw new FederationError("ERR_FEDERATION_CLOSED", "the federated bundle source is closed");
    const name = lookupName(trustDomain);
    return name === undefined ? undefined : this.#watches.get(name)?.bundle;
  }

  /**
   * The X.509 authorities of `trustDomain`, or `undefined` (X.509 bundle-source interface).
   *
   * @throws {FederationError} `ERR_FEDERATION_CLOSED` after `close()`.
   */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    return this.getForTrustDomain(trustDomain)?.x509Bundle;
  }

  /**
   * The JWT authorities of `trustDomain`, or `undefined` (JWT bundle-source interface).
   *
   * @throws {FederationError} `ERR_FEDERATION_CLOSED` after `close()`.
   */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain | string): JwtBundle | undefined {
    return this.getForTrustDomain(trustDomain)?.jwtBundle;
  }

  /**
   * Calls `listener` with each new bundle of any trust domain from now on (a bundle equal to
   * the one held is no update); returns the unsubscribe function. Servers and clients given
   * this source (directly or through `combineSources`) follow it to retire connections
   * verified with an older bundle.
   *
   * @example
   * ```ts
   * const stop = partners.onUpdate((bundle) => console.log("new bundle of", bundle.trustDomain.name));
   * stop();
   * ```
   */
  onUpdate(listener: (bundle: SpiffeBundle) => void): () => void {
    if (typeof listener !== "function") throw new InvalidArgumentError("listener", `must be a function, got ${describeType(listener)}`);
    const own = (bundle: SpiffeBundle): void => listener(bundle); // one subscription per call, even for the same function
    this.#listeners.add(own);
    return () => void this.#listeners.delete(own);
  }

  /** The federated trust domains, in the order of the relationships. */
  get trustDomains(): TrustDomain[] {
    return [...this.#watches.values()].map((w) => w.trustDomain);
  }

  /** The error of the last poll of `trustDomain`'s endpoint if it failed (its last good bundle is still served). */
  lastError(trustDomain: TrustDomain | string): FederationError | undefined {
    const name = lookupName(trustDomain);
    return name === undefined ? undefined : this.#watches.get(name)?.lastError;
  }

  /** Stops every watch; the getters throw afterwards. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#watches.forEach((w) => w.close());
    return Promise.resolve();
  }

  /** `close()` for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
