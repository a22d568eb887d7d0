import { BundleError } from "../errors/bundle-error.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import { adoptJwtBundle } from "./adopt-bundle.ts";
import type { JwtBundle } from "./jwt-bundle.ts";
import { type BundleKind, lookupBundle, lookupFunction } from "./lookup-bundle.ts";

/**
 * Where JWT-SVID validation finds the JWT authorities of a trust domain: a `JwtBundle`, a
 * `SpiffeBundle`, a `BundleSet`, a `JwtSource` or `BundleSource`, or your own object.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example A custom source
 * ```ts
 * import { type JwtBundleSource, JwtBundle } from "@spiffe-ts/sdk";
 * const bundles = new Map([["example.org", JwtBundle.parse("example.org", jwksJson)]]);
 * const source: JwtBundleSource = { getJwtBundleForTrustDomain: (td) => bundles.get(td.name) };
 * ```
 */
export interface JwtBundleSource {
  /** The JWT bundle of `trustDomain`, or `undefined` when the source has none. */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain): JwtBundle | undefined;
}

/**
 * A generic bundle source (as `BundleSet` is): `getForTrustDomain` returns a `JwtBundle`, or
 * a bundle that itself has `getJwtBundleForTrustDomain` (such as a `SpiffeBundle`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface GenericJwtBundleSource {
  /** The bundle of `trustDomain`, or `undefined` when the source has none. */
  getForTrustDomain(trustDomain: TrustDomain): JwtBundle | JwtBundleSource | undefined;
}

/**
 * What JWT-SVID validation accepts as trust: a {@link JwtBundleSource} or a
 * {@link GenericJwtBundleSource}.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type JwtBundleSourceLike = JwtBundleSource | GenericJwtBundleSource;

/**
 * Looks up the JWT bundle of `trustDomain` in `source`. Only a bundle of exactly that trust
 * domain is returned: a source that has none, hands back another trust domain's bundle,
 * throws, or returns something that is not a `JwtBundle` gives an error, never a fallback.
 * A `JwtBundle` of another copy of the SDK is re-built from its JWK Set and accepted.
 *
 * @throws {BundleError} `ERR_BUNDLE_NOT_FOUND` (with the source's error as `cause`).
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"bundleSource"`) when
 *   `source` has neither lookup method.
 */
export function resolveJwtBundle(source: JwtBundleSourceLike, trustDomain: TrustDomain): JwtBundle {
  return lookupBundle(JWT_BUNDLES, source, trustDomain);
}

/**
 * The raw JWT bundle lookup of `source` (its answer unchecked: callers pass it through
 * the resolve function, which checks it). Internal: for sources that combine others.
 *
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"bundleSource"`) when `source` has no JWT bundle getter.
 */
export function jwtBundleLookup(source: unknown): (trustDomain: TrustDomain) => unknown {
  return lookupFunction(JWT_BUNDLES, source);
}

const JWT_BUNDLES: BundleKind<JwtBundle> = {
  label: "JWT",
  typeName: "JwtBundle",
  adopt: adoptJwtBundle,
  method: "getJwtBundleForTrustDomain",
  notFound: (message, cause) => new BundleError("ERR_BUNDLE_NOT_FOUND", message, cause === undefined ? undefined : { cause }),
};
