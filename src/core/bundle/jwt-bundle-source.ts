import { BundleError } from "../errors/bundle-error.ts";
import { SpiffeError } from "../errors/spiffe-error.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import { JwtBundle } from "./jwt-bundle.ts";

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
 *
 * @throws {BundleError} `ERR_BUNDLE_NOT_FOUND` (with the source's error as `cause`), or
 *   `ERR_BUNDLE_INVALID_ARGUMENT` when `source` has neither lookup method.
 */
export function resolveJwtBundle(source: JwtBundleSourceLike, trustDomain: TrustDomain): JwtBundle {
  const get = lookupFunction(source);
  let found: unknown;
  try {
    found = get(trustDomain);
  } catch (err) {
    const reason = err instanceof SpiffeError ? `${err.code}: ${err.message}` : err instanceof Error ? err.name : typeof err;
    throw new BundleError("ERR_BUNDLE_NOT_FOUND", `the bundle source failed for trust domain "${trustDomain.name}" (${reason})`, { cause: err });
  }
  if (found === undefined || found === null) {
    throw new BundleError("ERR_BUNDLE_NOT_FOUND", `no JWT bundle for trust domain "${trustDomain.name}"`);
  }
  if (!(found instanceof JwtBundle)) {
    swallowRejection(found);
    throw new BundleError("ERR_BUNDLE_NOT_FOUND", `the bundle source returned something that is not a JwtBundle for trust domain "${trustDomain.name}"`);
  }
  if (!found.trustDomain.equals(trustDomain)) {
    throw new BundleError(
      "ERR_BUNDLE_NOT_FOUND",
      `the bundle source returned the bundle of "${found.trustDomain.name}" when asked for "${trustDomain.name}"`,
    );
  }
  return found;
}

/** The lookup to call on `source`; a source of the wrong shape is a programming error. */
function lookupFunction(source: unknown): (td: TrustDomain) => unknown {
  const s = (typeof source === "object" || typeof source === "function") && source !== null ? (source as Partial<JwtBundleSource & GenericJwtBundleSource>) : undefined;
  if (s && typeof s.getJwtBundleForTrustDomain === "function") {
    const get = s.getJwtBundleForTrustDomain;
    return (td) => get.call(s, td);
  }
  if (s && typeof s.getForTrustDomain === "function") {
    const get = s.getForTrustDomain;
    return (td) => {
      const found: unknown = get.call(s, td);
      if (found instanceof JwtBundle || typeof found !== "object" || found === null) return found;
      const nested = (found as Partial<JwtBundleSource>).getJwtBundleForTrustDomain;
      return typeof nested === "function" ? nested.call(found, td) : found;
    };
  }
  throw new BundleError(
    "ERR_BUNDLE_INVALID_ARGUMENT",
    "the bundle source must be an object with getJwtBundleForTrustDomain(td) or getForTrustDomain(td), such as a JwtBundle or a BundleSet",
  );
}

/** A source that wrongly returned a promise must not also cause an unhandled rejection. */
function swallowRejection(value: unknown): void {
  try {
    if (typeof (value as { then?: unknown }).then === "function") Promise.resolve(value).catch(() => {});
  } catch {
    // a hostile getter: nothing to swallow
  }
}
