import { SpiffeError } from "../errors/spiffe-error.ts";
import { X509SvidError } from "../errors/x509-svid-error.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
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
 * or returns something that is not an `X509Bundle` gives an error, never a fallback.
 *
 * @throws {X509SvidError} `ERR_X509_SVID_NO_BUNDLE` (with the source's error as `cause`).
 */
export function resolveX509Bundle(source: X509BundleSourceLike, trustDomain: TrustDomain): X509Bundle {
  const get = lookupFunction(source);
  let found: unknown;
  try {
    found = get(trustDomain);
  } catch (err) {
    const reason = err instanceof SpiffeError ? `${err.code}: ${err.message}` : err instanceof Error ? err.name : typeof err;
    throw new X509SvidError("ERR_X509_SVID_NO_BUNDLE", `the bundle source failed for trust domain "${trustDomain.name}" (${reason})`, { cause: err });
  }
  if (found === undefined || found === null) {
    throw new X509SvidError("ERR_X509_SVID_NO_BUNDLE", `no X.509 bundle for trust domain "${trustDomain.name}"`);
  }
  if (!(found instanceof X509Bundle)) {
    swallowRejection(found);
    throw new X509SvidError(
      "ERR_X509_SVID_NO_BUNDLE",
      `the bundle source returned something that is not an X509Bundle for trust domain "${trustDomain.name}"`,
    );
  }
  if (!found.trustDomain.equals(trustDomain)) {
    throw new X509SvidError(
      "ERR_X509_SVID_NO_BUNDLE",
      `the bundle source returned the bundle of "${found.trustDomain.name}" when asked for "${trustDomain.name}"`,
    );
  }
  return found;
}

/** The lookup to call on `source`; a source of the wrong shape is a programming error. */
function lookupFunction(source: unknown): (td: TrustDomain) => unknown {
  const s = (typeof source === "object" || typeof source === "function") && source !== null ? (source as Partial<X509BundleSource & GenericX509BundleSource>) : undefined;
  if (s && typeof s.getX509BundleForTrustDomain === "function") {
    const get = s.getX509BundleForTrustDomain;
    return (td) => get.call(s, td);
  }
  if (s && typeof s.getForTrustDomain === "function") {
    const get = s.getForTrustDomain;
    return (td) => {
      const found: unknown = get.call(s, td);
      if (found instanceof X509Bundle || typeof found !== "object" || found === null) return found;
      const nested = (found as Partial<X509BundleSource>).getX509BundleForTrustDomain;
      return typeof nested === "function" ? nested.call(found, td) : found;
    };
  }
  throw new X509SvidError(
    "ERR_X509_SVID_INVALID_ARGUMENT",
    "the bundle source must be an object with getX509BundleForTrustDomain(td) or getForTrustDomain(td), such as an X509Bundle or a BundleSet",
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
