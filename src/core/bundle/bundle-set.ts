import { BundleError } from "../errors/bundle-error.ts";
import { InvalidArgumentError } from "../errors/invalid-argument-error.ts";
import { describeType } from "../lib/describe-type.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import { lookupName } from "./bundle-args.ts";
import { JwtBundle } from "./jwt-bundle.ts";
import { SpiffeBundle } from "./spiffe-bundle.ts";
import { X509Bundle } from "./x509-bundle.ts";

/**
 * A set of bundles keyed by trust domain, at most one per trust domain; usable as an X.509
 * and a JWT bundle source. Lookups only ever return the bundle of the trust domain asked
 * for: authorities are never merged across trust domains.
 *
 * Duplicates: the constructor refuses two bundles of the same trust domain (which one to
 * trust would be ambiguous; the bundle spec §5.1.1 refuses duplicate trust domains in a
 * bundle map too); {@link BundleSet.set} replaces the bundle of its trust domain on purpose
 * (that is how an update is applied).
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example Trust two trust domains
 * ```ts
 * import { BundleSet, SpiffeBundle, verifyX509Svid } from "@spiffe-ts/sdk";
 * const bundles = new BundleSet([
 *   SpiffeBundle.parse("example.org", exampleJson),
 *   SpiffeBundle.parse("partner.example", partnerJson),
 * ]);
 * const { id } = await verifyX509Svid(peerChain, bundles); // uses the peer's own trust domain
 * bundles.getForTrustDomain(id.trustDomain)?.sequenceNumber;
 * ```
 */
export class BundleSet<B extends X509Bundle | JwtBundle | SpiffeBundle = X509Bundle | JwtBundle | SpiffeBundle> implements Iterable<B> {
  readonly #byName = new Map<string, B>();

  /**
   * Creates a set of bundles, one per trust domain.
   *
   * @throws {BundleError} `ERR_BUNDLE_DUPLICATE_TRUST_DOMAIN` when two bundles share a trust
   *   domain.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"bundles"`) when
   *   `bundles` is not an iterable of bundles.
   */
  constructor(bundles: Iterable<B> = []) {
    let list: unknown[];
    try {
      if (typeof (bundles as Partial<Iterable<B>> | null)?.[Symbol.iterator] !== "function") throw new TypeError("not iterable");
      list = Array.from(bundles);
    } catch (cause) {
      throw new InvalidArgumentError("bundles", `bundles must be an iterable of X509Bundle, JwtBundle or SpiffeBundle, got ${describeType(bundles)}`, { cause });
    }
    for (const bundle of list) {
      const name = checkMember(bundle, "bundles");
      if (this.#byName.has(name)) {
        throw new BundleError("ERR_BUNDLE_DUPLICATE_TRUST_DOMAIN", `two bundles for trust domain "${name}"; a bundle set holds one per trust domain`);
      }
      this.#byName.set(name, bundle as B);
    }
  }

  /**
   * Adds the bundle, replacing any bundle of the same trust domain. Returns the set.
   *
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"bundle"`) if `bundle` is not a bundle.
   */
  set(bundle: B): this {
    this.#byName.set(checkMember(bundle, "bundle"), bundle);
    return this;
  }

  /** Removes the bundle of `trustDomain`; true if there was one. */
  delete(trustDomain: TrustDomain | string): boolean {
    const name = lookupName(trustDomain);
    return name !== undefined && this.#byName.delete(name);
  }

  /** True when the set has a bundle for `trustDomain`. */
  has(trustDomain: TrustDomain | string): boolean {
    const name = lookupName(trustDomain);
    return name !== undefined && this.#byName.has(name);
  }

  /** The bundle of `trustDomain`, or `undefined` (generic bundle-source interface). */
  getForTrustDomain(trustDomain: TrustDomain | string): B | undefined {
    const name = lookupName(trustDomain);
    return name === undefined ? undefined : this.#byName.get(name);
  }

  /**
   * The X.509 authorities of `trustDomain`: the `X509Bundle` member itself, or the X.509 part
   * of a `SpiffeBundle` member; `undefined` for a `JwtBundle` member or no member.
   */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    const bundle: X509Bundle | JwtBundle | SpiffeBundle | undefined = this.getForTrustDomain(trustDomain);
    if (bundle instanceof X509Bundle) return bundle;
    return bundle instanceof SpiffeBundle ? bundle.x509Bundle : undefined;
  }

  /**
   * The JWT authorities of `trustDomain`: the `JwtBundle` member itself, or the JWT part of a
   * `SpiffeBundle` member; `undefined` for an `X509Bundle` member or no member.
   */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain | string): JwtBundle | undefined {
    const bundle: X509Bundle | JwtBundle | SpiffeBundle | undefined = this.getForTrustDomain(trustDomain);
    if (bundle instanceof JwtBundle) return bundle;
    return bundle instanceof SpiffeBundle ? bundle.jwtBundle : undefined;
  }

  /** The trust domains that have a bundle, in insertion order. */
  get trustDomains(): TrustDomain[] {
    return [...this.#byName.values()].map((b) => b.trustDomain);
  }

  /** Number of bundles (= number of trust domains). */
  get size(): number {
    return this.#byName.size;
  }

  /** The bundles, in insertion order (a snapshot: changing the set while iterating is safe). */
  [Symbol.iterator](): IterableIterator<B> {
    return [...this.#byName.values()][Symbol.iterator]();
  }
}

function checkMember(bundle: unknown, argument: string): string {
  if (bundle instanceof X509Bundle || bundle instanceof JwtBundle || bundle instanceof SpiffeBundle) return bundle.trustDomain.name;
  throw new InvalidArgumentError(argument, `a bundle set holds X509Bundle, JwtBundle or SpiffeBundle values only, got ${describeType(bundle)}`);
}
