import { X509SvidError } from "../errors/x509-svid-error.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import { adoptX509Bundle } from "./adopt-bundle.ts";
import { type BundleKind, lookupBundle, lookupFunction } from "./lookup-bundle.ts";
import { X509Bundle } from "./x509-bundle.ts";

/**
 * Where X.509 verification finds the authorities of a trust domain: an `X509Bundle`, a
 * `SpiffeBundle`, a `BundleSet`, an `X509Source` or `BundleSource`, or your own object.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example A custom source
 * ```ts
 * import { type X509BundleSource, X509Bundle, verifyX509Svid } from "@spiffe-ts/sdk";
 * const bundles = new Map([["example.org", X509Bundle.parse("example.org", pem)]]);
 * const source: X509BundleSource = { getX509BundleForTrustDomain: (td) => bundles.get(td.name) };
 * await verifyX509Svid(peerChain, source);
 * ```
 */
export interface X509BundleSource {
  /** The X.509 bundle of `trustDomain`, or `undefined` when the source has none. */
  getX509BundleForTrustDomain(trustDomain: TrustDomain): X509Bundle | undefined;
}

/**
 * A generic bundle source (as `BundleSet` is): `getForTrustDomain` returns an `X509Bundle`,
 * or a bundle that itself has `getX509BundleForTrustDomain` (such as a `SpiffeBundle`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface GenericX509BundleSource {
  /** The bundle of `trustDomain`, or `undefined` when the source has none. */
  getForTrustDomain(trustDomain: TrustDomain): X509Bundle | X509BundleSource | undefined;
}

/**
 * What `verifyX509Svid` accepts as trust: an {@link X509BundleSource} or a
 * {@link GenericX509BundleSource}.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type X509BundleSourceLike = X509BundleSource | GenericX509BundleSource;

/**
 * Looks up the X.509 bundle of `trustDomain` in `source`. Only a bundle of exactly that
 * trust domain is returned: a source that hands back another trust domain's bundle, throws,
 * or returns something that is not an `X509Bundle` gives an error, never a fallback. An
 * `X509Bundle` of another copy of the SDK is re-built from its authorities and accepted.
 *
 * @throws {X509SvidError} `ERR_X509_SVID_NO_BUNDLE` (with the source's error as `cause`).
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"bundleSource"`) when
 *   `source` has neither lookup method.
 */
export function resolveX509Bundle(source: X509BundleSourceLike, trustDomain: TrustDomain): X509Bundle {
  return lookupBundle(X509_BUNDLES, source, trustDomain);
}

/**
 * The raw X509 bundle lookup of `source` (its answer unchecked: callers pass it through
 * the resolve function, which checks it). Internal: for sources that combine others.
 *
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"bundleSource"`) when `source` has no X509 bundle getter.
 */
export function x509BundleLookup(source: unknown): (trustDomain: TrustDomain) => unknown {
  return lookupFunction(X509_BUNDLES, source);
}

const X509_BUNDLES: BundleKind<X509Bundle> = {
  label: "X.509",
  typeName: "X509Bundle",
  adopt: adoptX509Bundle,
  method: "getX509BundleForTrustDomain",
  notFound: (message, cause) => new X509SvidError("ERR_X509_SVID_NO_BUNDLE", message, cause === undefined ? undefined : { cause }),
};
