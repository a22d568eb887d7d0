import { SpiffeBundle } from "../core/bundle/spiffe-bundle.ts";
import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import { FederationError } from "../core/errors/federation-error.ts";
import type { Logger } from "../core/logger.ts";
import type { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { type CheckedFetchOptions, checkFetchOptions, fetchCheckedBundle, type FetchBundleOptions, positiveInteger } from "./fetch-bundle.ts";
import { DEFAULT_MAX_REFRESH_MS, DEFAULT_MIN_REFRESH_MS, refreshDelayMs } from "./refresh-delay.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { refuseOption } from "./refuse-option.ts";

/**
 * The timer functions a watch schedules its polls with. Default: the global `setTimeout` and
 * `clearTimeout`. For tests, which fire polls themselves instead of waiting.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WatchTimers {
  /** Schedules `callback` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a poll scheduled with `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/**
 * Options of {@link watchBundle}: those of `fetchBundle` (per poll) plus the schedule and
 * where updates and errors go.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WatchBundleOptions extends FetchBundleOptions {
  /** Lower bound of the poll interval, ms (a tiny or zero refresh hint polls this often). Default 30 000. Also the retry delay while there is no bundle yet. */
  readonly minRefreshMs?: number;
  /** Upper bound of the poll interval, ms. Default 86 400 000 (one day). */
  readonly maxRefreshMs?: number;
  /**
   * A bundle of the same trust domain to start from (e.g. one stored from an earlier run): it
   * is the current bundle until the endpoint serves a newer one, and, for a self-serving
   * `https_spiffe` endpoint, what authenticates the first connection.
   */
  readonly initialBundle?: SpiffeBundle;
  /** Called with each new bundle (not when a poll returns the same bundle). Must not block. */
  readonly onUpdate?: (bundle: SpiffeBundle) => void;
  /** Called with each failed poll; the last good bundle stays. Must not block. */
  readonly onError?: (error: FederationError) => void;
  /** Updates (info) and failed polls (warn). Silent by default. */
  readonly logger?: Logger;
  /** Timer functions, for tests. */
  readonly timers?: WatchTimers;
}

/**
 * A running watch of one bundle endpoint (see {@link watchBundle}).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface BundleWatch {
  /** The configured endpoint URL. */
  readonly url: URL;
  /** The trust domain the bundle is filed under. */
  readonly trustDomain: TrustDomain;
  /** The last good bundle, or `undefined` until the first one. */
  readonly bundle: SpiffeBundle | undefined;
  /** The error of the last poll if it failed, `undefined` after a good one. */
  readonly lastError: FederationError | undefined;
  /** Resolves with the first good bundle; rejects with `ERR_FEDERATION_CLOSED` if closed before. */
  readonly ready: Promise<SpiffeBundle>;
  /** Stops polling (an ongoing request is aborted); `bundle` keeps its last value. Idempotent. */
  close(): void;
  /** `close()` for `using`. */
  [Symbol.dispose](): void;
}

/**
 * Keeps the bundle of a federated trust domain current (go-spiffe's `federation.WatchBundle`):
 * fetches it now and then again after each `spiffe_refresh_hint` (five minutes without one),
 * bounded by `minRefreshMs` and `maxRefreshMs`. A failed poll is reported to `onError` and
 * the logger and retried at the next interval (sooner, after `minRefreshMs`, while there is no
 * bundle yet); the last good bundle stays in use. A bundle whose `spiffe_sequence` is lower
 * than the current one's is refused as a rollback (`ERR_FEDERATION_SEQUENCE_BACKWARDS`),
 * unless it has the same keys. For a self-serving `https_spiffe` endpoint (its SPIFFE ID in
 * the watched trust domain), each connection after the first is authenticated with the
 * latest bundle it served (SPIFFE Federation §5.2.2.4).
 *
 * For several trust domains, and to pass the bundles to `verifyX509Svid` or
 * `JwtSvid.parseAndValidate`, use `FederatedBundleSource`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { watchBundle } from "@spiffe-ts/sdk";
 * using watch = watchBundle("https://bundles.partner.example/bundle.json", {
 *   trustDomain: "partner.example",
 *   profile: "https_web",
 *   onError: (err) => console.warn(err.code, err.message),
 * });
 * const first = await watch.ready;
 * console.log(first.x509Authorities.length, watch.bundle?.sequenceNumber);
 * ```
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` naming a refused option (at once; never later).
 * @throws {FederationError} `ERR_FEDERATION_ENDPOINT_URL` for a URL that is not `https:` or carries user info.
 */
export function watchBundle(url: string | URL, options: WatchBundleOptions): BundleWatch {
  return new EndpointWatch(url, options);
}

class EndpointWatch implements BundleWatch {
  readonly url: URL;
  readonly trustDomain: TrustDomain;
  readonly ready: Promise<SpiffeBundle>;
  readonly #fetch: CheckedFetchOptions;
  readonly #options: WatchBundleOptions;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #timers: WatchTimers;
  readonly #selfServing: boolean;
  #bundle: SpiffeBundle | undefined;
  #lastError: FederationError | undefined;
  #timer: unknown;
  #inFlight: AbortController | undefined;
  #closed = false;
  #resolveReady!: (bundle: SpiffeBundle) => void;
  #rejectReady!: (error: FederationError) => void;

  constructor(url: string | URL, options: WatchBundleOptions) {
    this.#fetch = checkFetchOptions(url, options, refuseOption);
    this.#options = options;
    this.url = this.#fetch.url;
    this.trustDomain = this.#fetch.trustDomain;
    this.#minMs = positiveIntegerOrZero(options.minRefreshMs, "minRefreshMs", DEFAULT_MIN_REFRESH_MS);
    this.#maxMs = positiveInteger(options.maxRefreshMs, "maxRefreshMs", DEFAULT_MAX_REFRESH_MS, 30 * 24 * 3_600_000, refuseOption);
    if (this.#minMs > this.#maxMs) throw new ConfigError("minRefreshMs", `${this.#minMs} must not exceed maxRefreshMs (${this.#maxMs})`);
    for (const name of ["onUpdate", "onError"] as const) {
      if (options[name] !== undefined && typeof options[name] !== "function") throw new ConfigError(name, `must be a function, got ${describeType(options[name])}`);
    }
    const timers = options.timers;
    if (timers !== undefined && (typeof timers?.setTimeout !== "function" || typeof timers.clearTimeout !== "function")) throw new ConfigError("timers", "must have setTimeout and clearTimeout");
    this.#timers = timers ?? { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    const profile = this.#fetch.profile;
    this.#selfServing = profile !== "https_web" && profile.endpointId.trustDomain.equals(this.trustDomain);
    this.ready = new Promise<SpiffeBundle>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // closing before the first bundle must not be an unhandled rejection
    const initial = options.initialBundle;
    if (initial !== undefined) {
      if (!(initial instanceof SpiffeBundle) || !initial.trustDomain.equals(this.trustDomain)) {
        throw new ConfigError("initialBundle", `must be a SpiffeBundle of "${this.trustDomain.name}", got ${initial instanceof SpiffeBundle ? `the bundle of "${initial.trustDomain.name}"` : describeType(initial)}`);
      }
      this.#bundle = initial;
      this.#resolveReady(initial);
    }
    void this.#poll();
  }

  get bundle(): SpiffeBundle | undefined {
    return this.#bundle;
  }

  get lastError(): FederationError | undefined {
    return this.#lastError;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort(new FederationError("ERR_FEDERATION_CLOSED", "the bundle watch was closed"));
    this.#rejectReady(new FederationError("ERR_FEDERATION_CLOSED", `the watch of ${this.url.href} was closed before a bundle arrived`, { url: this.url.href }));
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    const controller = new AbortController();
    this.#inFlight = controller;
    const signal = this.#fetch.signal ? AbortSignal.any([this.#fetch.signal, controller.signal]) : controller.signal;
    const bundles: X509BundleSourceLike | undefined = this.#selfServing ? this.#bundle : undefined;
    try {
      const fetched = await fetchCheckedBundle({ ...this.#fetch, signal }, bundles);
      if (this.#closed) return;
      this.#accept(fetched);
      this.#lastError = undefined;
    } catch (err) {
      if (this.#closed) return;
      if (this.#fetch.signal?.aborted) {
        // The caller's signal ends the watch.
        this.close();
        return;
      }
      this.#report(err instanceof FederationError ? err : new FederationError("ERR_FEDERATION_UNREACHABLE", `bundle watch of ${this.url.href} failed`, { url: this.url.href, cause: err }));
    } finally {
      if (this.#inFlight === controller) this.#inFlight = undefined;
    }
    if (this.#closed) return;
    const delay = this.#bundle === undefined ? this.#minMs : refreshDelayMs(this.#bundle.refreshHintSeconds, this.#minMs, this.#maxMs);
    this.#timer = this.#timers.setTimeout(() => void this.#poll(), delay);
  }

  /** Makes `fetched` the current bundle, unless it is the same or a rollback. */
  #accept(fetched: SpiffeBundle): void {
    const current = this.#bundle;
    if (current !== undefined) {
      if (current.equals(fetched)) return;
      const sameKeys = current.x509Bundle.equals(fetched.x509Bundle) && current.jwtBundle.equals(fetched.jwtBundle);
      if (current.sequenceNumber !== undefined && fetched.sequenceNumber !== undefined && fetched.sequenceNumber < current.sequenceNumber) {
        if (sameKeys) return; // an older copy of what we hold (e.g. another replica): nothing to roll back
        throw new FederationError(
          "ERR_FEDERATION_SEQUENCE_BACKWARDS",
          `${this.url.href} served a bundle of "${this.trustDomain.name}" with spiffe_sequence ${fetched.sequenceNumber}, older than the ${current.sequenceNumber} held; refused, keeping the held bundle`,
          { url: this.url.href },
        );
      }
    }
    this.#bundle = fetched;
    this.#resolveReady(fetched);
    this.#options.logger?.info?.("SPIFFE federation: new bundle", fields(this, { sequence: fetched.sequenceNumber ?? null, x509Authorities: fetched.x509Authorities.length, jwtKeys: fetched.jwtBundle.keys.length }));
    try {
      this.#options.onUpdate?.(fetched);
    } catch {
      // the listener's problem; the watch goes on
    }
  }

  #report(error: FederationError): void {
    this.#lastError = error;
    const kept = this.#bundle === undefined ? "no bundle yet" : "keeping the last good bundle";
    this.#options.logger?.warn?.(`SPIFFE federation: bundle refresh failed; ${kept}`, fields(this, { code: error.code, message: error.message }));
    try {
      this.#options.onError?.(error);
    } catch {
      // the listener's problem; the watch goes on
    }
  }
}

function fields(watch: EndpointWatch, more: Record<string, unknown>): Record<string, unknown> {
  return { trustDomain: watch.trustDomain.name, url: watch.url.href, ...more };
}

function positiveIntegerOrZero(value: unknown, name: string, fallback: number): number {
  return value === 0 ? 0 : positiveInteger(value, name, fallback, 30 * 24 * 3_600_000, refuseOption);
}
