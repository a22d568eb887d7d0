import { SpiffeError } from "./spiffe-error.ts";

/** Why a bundle could not be parsed or found. */
export type BundleErrorCode =
  | "ERR_BUNDLE_EMPTY"
  | "ERR_BUNDLE_PEM"
  | "ERR_BUNDLE_DER"
  | "ERR_BUNDLE_CERTIFICATE"
  | "ERR_BUNDLE_JSON"
  | "ERR_BUNDLE_JWKS"
  | "ERR_BUNDLE_JWK"
  | "ERR_BUNDLE_JWK_PRIVATE"
  | "ERR_BUNDLE_DUPLICATE_KID"
  | "ERR_BUNDLE_DUPLICATE_TRUST_DOMAIN"
  | "ERR_BUNDLE_TRUST_DOMAIN_MISMATCH"
  | "ERR_BUNDLE_TOO_LARGE"
  | "ERR_BUNDLE_NOT_FOUND";

/**
 * A trust bundle (X.509, JWT or SPIFFE bundle) was malformed, or no bundle exists for a
 * trust domain.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export class BundleError extends SpiffeError<BundleErrorCode> {}
