import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import type { X509Svid } from "../core/svid/x509/x509-svid.ts";
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";
import { TestingError } from "./testing-error.ts";

/**
 * An in-memory X.509 source for unit tests: holds an SVID and bundles you set, and
 * notifies `onUpdate` listeners when you change them (to test rotation and bundle
 * changes without a Workload API). Works wherever an `X509Source` does (`serveMtls`,
 * `createMtlsClient`, `verifyX509Svid`).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 *
 * @example
 * ```ts
 * import { X509Svid } from "@spiffe-ts/sdk";
 * import { createTestCa, FakeX509Source } from "@spiffe-ts/sdk/testing";
 * const ca = await createTestCa({ trustDomain: "example.org" });
 * const issued = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
 * const source = new FakeX509Source({
 *   svid: await X509Svid.parse(issued.certificates, issued.privateKey),
 *   bundles: [ca.x509Bundle],
 * });
 * ```
 */
export class FakeX509Source implements X509SvidSource {
  #svid: X509Svid | undefined;
  readonly #bundles = new Map<string, X509Bundle>();
  readonly #listeners = new Set<() => void>();

  /**
   * Creates a source serving `options.svid` and `options.bundles` until changed.
   *
   * @param options `svid`: the SVID to serve (none: `getX509Svid` throws until `setX509Svid`);
   *   `bundles`: the X.509 bundles to serve, by trust domain.
   */
  constructor(options: { svid?: X509Svid; bundles?: Iterable<X509Bundle> } = {}) {
    this.#svid = options.svid;
    for (const b of options.bundles ?? []) this.#bundles.set(b.trustDomain.name, b);
  }

  /** The SVID set last. @throws {TestingError} `ERR_TESTING_NO_SVID` when none is set. */
  getX509Svid(): X509Svid {
    if (!this.#svid) throw new TestingError("ERR_TESTING_NO_SVID", "FakeX509Source has no X.509-SVID (call setX509Svid)");
    return this.#svid;
  }

  /** The bundle set for `trustDomain`, or `undefined`. */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    return this.#bundles.get(typeof trustDomain === "string" ? TrustDomain.parse(trustDomain).name : trustDomain.name);
  }

  /** Replaces the SVID (or removes it with `undefined`) and notifies listeners. */
  setX509Svid(svid: X509Svid | undefined): void {
    this.#svid = svid;
    this.#notify();
  }

  /** Adds or replaces the bundle of its trust domain and notifies listeners. */
  setX509Bundle(bundle: X509Bundle): void {
    this.#bundles.set(bundle.trustDomain.name, bundle);
    this.#notify();
  }

  /** Removes the bundle of `trustDomain` and notifies listeners. */
  deleteX509Bundle(trustDomain: TrustDomain | string): void {
    this.#bundles.delete(typeof trustDomain === "string" ? TrustDomain.parse(trustDomain).name : trustDomain.name);
    this.#notify();
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onUpdate(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }
}
