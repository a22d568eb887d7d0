// Argument helpers shared by the bundle classes. Internal to the bundle module.
import { BundleError } from "../errors/bundle-error.ts";
import { SpiffeError } from "../errors/spiffe-error.ts";
import { TrustDomain } from "../spiffeid/trust-domain.ts";

/**
 * A `TrustDomain` as is, or a string parsed with `TrustDomain.parse`.
 *
 * @throws {SpiffeIdError} if the string is not a valid trust domain.
 */
export function toTrustDomain(td: TrustDomain | string): TrustDomain {
  return td instanceof TrustDomain ? td : TrustDomain.parse(td);
}

/**
 * The name used for lookups: a `TrustDomain`'s name, or a string as given (like
 * `TrustDomain.equals`, a string is compared as a name). Anything else gives undefined,
 * so a lookup with a wrong type finds nothing instead of throwing.
 */
export function lookupName(td: unknown): string | undefined {
  if (td instanceof TrustDomain) return td.name;
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
