// The one lookup behind resolveX509Bundle and resolveJwtBundle: find the bundle of exactly
// one trust domain in any bundle source, or say precisely why not. Not exported.
import { InvalidArgumentError } from "../errors/invalid-argument-error.ts";
import { SpiffeError } from "../errors/spiffe-error.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";

/** What differs between the X.509 and the JWT lookup. */
export interface BundleKind<B extends { readonly trustDomain: TrustDomain }> {
  /** "X.509" or "JWT", for messages. */
  readonly label: string;
  /** Name of the wanted bundle class (`X509Bundle`, `JwtBundle`), for messages. */
  readonly typeName: string;
  /**
   * `value` as the wanted bundle class: itself, a re-built copy of one of another copy of
   * the SDK, or undefined when it is not one.
   */
  readonly adopt: (value: unknown) => B | undefined;
  /** The specific getter, e.g. `getX509BundleForTrustDomain`. */
  readonly method: string;
  /** The error to throw for a missing or bad bundle (a source of the wrong shape is an `InvalidArgumentError`). */
  readonly notFound: (message: string, cause?: unknown) => SpiffeError;
}

/**
 * Looks up the bundle of `trustDomain` in `source`, which has the kind's specific getter or
 * a generic `getForTrustDomain(td)` (returning the bundle itself, or something with the
 * specific getter, such as a `SpiffeBundle`). Only a bundle of exactly that trust domain is
 * returned: a source that has none, throws, returns another trust domain's bundle, or
 * returns something else (a promise included) gives an error, never a fallback.
 */
export function lookupBundle<B extends { readonly trustDomain: TrustDomain }>(kind: BundleKind<B>, source: unknown, trustDomain: TrustDomain): B {
  const get = lookupFunction(kind, source);
  let found: unknown;
  try {
    found = get(trustDomain);
  } catch (err) {
    const reason = err instanceof SpiffeError ? `${err.code}: ${err.message}` : err instanceof Error ? err.name : typeof err;
    throw kind.notFound(`the bundle source failed for trust domain "${trustDomain.name}" (${reason})`, err);
  }
  if (found === undefined || found === null) {
    throw kind.notFound(`no ${kind.label} bundle for trust domain "${trustDomain.name}"`);
  }
  const bundle = kind.adopt(found);
  if (bundle === undefined) {
    swallowRejection(found);
    throw kind.notFound(`the bundle source returned something that is not a ${kind.typeName} for trust domain "${trustDomain.name}"`);
  }
  if (!bundle.trustDomain.equals(trustDomain)) {
    throw kind.notFound(`the bundle source returned the bundle of "${bundle.trustDomain.name}" when asked for "${trustDomain.name}"`);
  }
  return bundle;
}

/**
 * The lookup to call on `source` for the kind (its raw answer, unchecked); a source of the
 * wrong shape is a programming error (`InvalidArgumentError`, argument `"bundleSource"`).
 */
export function lookupFunction<B extends { readonly trustDomain: TrustDomain }>(kind: BundleKind<B>, source: unknown): (td: TrustDomain) => unknown {
  const s = (typeof source === "object" || typeof source === "function") && source !== null ? (source as Record<string, unknown>) : undefined;
  const specific = s?.[kind.method];
  if (typeof specific === "function") return (td) => specific.call(s, td);
  const generic = s?.getForTrustDomain;
  if (typeof generic === "function") {
    return (td) => {
      const found: unknown = generic.call(s, td);
      if (kind.adopt(found) !== undefined || typeof found !== "object" || found === null) return found;
      const nested = (found as Record<string, unknown>)[kind.method];
      return typeof nested === "function" ? nested.call(found, td) : found;
    };
  }
  throw new InvalidArgumentError(
    "bundleSource",
    `the bundle source must be an object with ${kind.method}(td) or getForTrustDomain(td), such as a ${kind.typeName} or a BundleSet; got ${source === null ? "null" : typeof source}`,
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
