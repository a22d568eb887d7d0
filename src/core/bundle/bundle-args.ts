// Argument helpers shared by the bundle classes. Internal to the bundle module.
import { BundleError } from "../errors/bundle-error.ts";
import { SpiffeError } from "../errors/spiffe-error.ts";
import { TrustDomain } from "../spiffeid/trust-domain.ts";

/**
 * A `TrustDomain` as is, a trust domain of another copy of the SDK (an object with a string
 * `name` and an `idString` method) re-parsed from its name, or a string parsed with
 * `TrustDomain.parse`.
 *
 * @throws {SpiffeIdError} if the string is not a valid trust domain.
 */
export function toTrustDomain(td: TrustDomain | string): TrustDomain {
  if (td instanceof TrustDomain) return td;
  return TrustDomain.parse(isTrustDomainLike(td) ? td.name : td);
}

/** True for an object shaped like a `TrustDomain` (from this or another copy of the SDK). */
export function isTrustDomainLike(value: unknown): value is Pick<TrustDomain, "name" | "idString"> {
  return typeof value === "object" && value !== null && typeof (value as TrustDomain).name === "string" && typeof (value as TrustDomain).idString === "function";
}

/**
 * The name used for lookups: a `TrustDomain`'s name, or a string as given (like
 * `TrustDomain.equals`, a string is compared as a name). Anything else gives undefined,
 * so a lookup with a wrong type finds nothing instead of throwing.
 */
export function lookupName(td: unknown): string | undefined {
  if (td instanceof TrustDomain || isTrustDomainLike(td)) return td.name;
  return typeof td === "string" ? td : undefined;
}

/**
 * Runs a parser and turns any exception that is not a `SpiffeError` (a bug, or a hostile
 * object) into a `BundleError`, so callers only ever see typed errors.
 */
export function guard<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SpiffeError) throw err;
    throw new BundleError("ERR_BUNDLE_JWKS", `${where} could not be read (${err instanceof Error ? err.name : typeof err})`, { cause: err });
  }
}
