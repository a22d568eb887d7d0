// The partner trust domain's bundle for an edge worker: fetched from its https_web bundle
// endpoint on demand and kept until its refresh hint runs out. Edge runtimes run code only
// while a request is being handled (no background timers), so instead of watchBundle or
// FederatedBundleSource (for long-running servers), the worker refreshes lazily: the first
// request after the hint expired waits for the new bundle; if the endpoint fails, the last good
// bundle stays and the next try waits RETRY_MS. Web APIs only.
import { type FetchBundleOptions, fetchBundle, type JwtBundle, type SpiffeBundle, type TrustDomain } from "@spiffe-ts/sdk";

const RETRY_MS = 30_000;

export class EdgeBundleCache {
  readonly #url: string;
  readonly #options: FetchBundleOptions;
  readonly #now: () => number;
  #bundle: SpiffeBundle | undefined;
  #freshUntil = 0;
  #refreshing: Promise<void> | undefined;

  constructor(url: string, options: FetchBundleOptions, now: () => number = Date.now) {
    this.#url = url;
    this.#options = options;
    this.#now = now;
  }

  /** Fetches the bundle if it is missing or stale (one fetch at a time); true when there is a bundle to use. */
  async ensureFresh(): Promise<boolean> {
    if (this.#now() >= this.#freshUntil) {
      this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
      await this.#refreshing;
    }
    return this.#bundle !== undefined;
  }

  async #refresh(): Promise<void> {
    try {
      const next = await fetchBundle(this.#url, this.#options);
      const held = this.#bundle;
      // Never go back to an older bundle (a stale cache or replica in front of the endpoint).
      const older = held?.sequenceNumber !== undefined && next.sequenceNumber !== undefined && next.sequenceNumber < held.sequenceNumber;
      if (!older) this.#bundle = next;
      this.#freshUntil = this.#now() + (next.refreshHintSeconds ?? 300) * 1000;
    } catch (err) {
      console.warn("edge-jwt: bundle refresh failed, keeping the last good bundle:", err instanceof Error ? err.message : err);
      this.#freshUntil = this.#now() + RETRY_MS;
    }
  }

  /** The JWT bundle source interface, for requireJwtSvid / JwtSvid.parseAndValidate. */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain): JwtBundle | undefined {
    return this.#bundle?.getJwtBundleForTrustDomain(trustDomain);
  }
}
