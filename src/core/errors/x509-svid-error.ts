import { SpiffeError } from "./spiffe-error.ts";

/** One code per X.509-SVID parsing or verification rule. */
export type X509SvidErrorCode =
  // parsing
  | "ERR_X509_SVID_EMPTY"
  | "ERR_X509_SVID_PEM"
  | "ERR_X509_SVID_CERTIFICATE"
  | "ERR_X509_SVID_PRIVATE_KEY"
  | "ERR_X509_SVID_UNSUPPORTED_KEY"
  | "ERR_X509_SVID_KEY_MISMATCH"
  | "ERR_X509_SVID_TOO_LARGE"
  | "ERR_X509_SVID_CHAIN_TOO_LONG"
  // leaf rules (X509-SVID spec §2, §3.1, §4, §5.2)
  | "ERR_X509_SVID_NO_URI_SAN"
  | "ERR_X509_SVID_MULTIPLE_URI_SANS"
  | "ERR_X509_SVID_INVALID_SPIFFE_ID"
  | "ERR_X509_SVID_NO_PATH"
  | "ERR_X509_SVID_LEAF_IS_CA"
  | "ERR_X509_SVID_LEAF_KEY_CERT_SIGN"
  | "ERR_X509_SVID_LEAF_CRL_SIGN"
  | "ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION"
  // chain rules (§5.1, RFC 5280 path validation)
  | "ERR_X509_SVID_NO_BUNDLE"
  | "ERR_X509_SVID_NOT_YET_VALID"
  | "ERR_X509_SVID_EXPIRED"
  | "ERR_X509_SVID_INTERMEDIATE_NOT_CA"
  | "ERR_X509_SVID_PATH_LENGTH"
  | "ERR_X509_SVID_NAME_CONSTRAINTS"
  | "ERR_X509_SVID_POLICY"
  | "ERR_X509_SVID_SIGNATURE_ALGORITHM"
  | "ERR_X509_SVID_PUBLIC_KEY"
  | "ERR_X509_SVID_VERIFICATION_LIMIT"
  | "ERR_X509_SVID_UNTRUSTED";

/**
 * An X.509-SVID could not be parsed, or failed verification; `code` names the rule.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export class X509SvidError extends SpiffeError<X509SvidErrorCode> {}
