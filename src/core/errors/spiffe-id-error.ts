import { SpiffeError } from "./spiffe-error.ts";

/** The rules of the SPIFFE-ID specification, one code each. */
export type SpiffeIdErrorCode =
  | "ERR_SPIFFE_ID_EMPTY"
  | "ERR_SPIFFE_ID_WRONG_SCHEME"
  | "ERR_SPIFFE_ID_TRUST_DOMAIN_MISSING"
  | "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"
  | "ERR_SPIFFE_ID_TRUST_DOMAIN_TOO_LONG"
  | "ERR_SPIFFE_ID_USERINFO"
  | "ERR_SPIFFE_ID_PORT"
  | "ERR_SPIFFE_ID_QUERY_OR_FRAGMENT"
  | "ERR_SPIFFE_ID_PERCENT_ENCODED"
  | "ERR_SPIFFE_ID_PATH_NOT_ABSOLUTE"
  | "ERR_SPIFFE_ID_EMPTY_SEGMENT"
  | "ERR_SPIFFE_ID_DOT_SEGMENT"
  | "ERR_SPIFFE_ID_TRAILING_SLASH"
  | "ERR_SPIFFE_ID_PATH_CHARS"
  | "ERR_SPIFFE_ID_TOO_LONG";

/**
 * A SPIFFE ID or trust domain name broke a rule of the SPIFFE-ID specification; `code`
 * names the rule. Thrown by `SpiffeId.parse`, `SpiffeId.fromPath`, `TrustDomain.parse`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export class SpiffeIdError extends SpiffeError<SpiffeIdErrorCode> {}
