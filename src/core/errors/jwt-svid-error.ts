import { SpiffeError } from "./spiffe-error.ts";

/** One code per JWT-SVID parsing or validation rule. */
export type JwtSvidErrorCode =
  // size
  | "ERR_JWT_SVID_TOO_LARGE"
  // serialization (JWT-SVID spec §1, §5.1: JWS compact serialization only)
  | "ERR_JWT_SVID_JSON_SERIALIZATION"
  | "ERR_JWT_SVID_PART_COUNT"
  | "ERR_JWT_SVID_BASE64URL"
  | "ERR_JWT_SVID_JSON"
  // JOSE header (§2)
  | "ERR_JWT_SVID_UNSUPPORTED_ALG"
  | "ERR_JWT_SVID_TYP"
  | "ERR_JWT_SVID_CRIT"
  | "ERR_JWT_SVID_HEADER_NOT_ALLOWED"
  | "ERR_JWT_SVID_KID"
  // claims (§3)
  | "ERR_JWT_SVID_MISSING_SUBJECT"
  | "ERR_JWT_SVID_INVALID_SUBJECT"
  | "ERR_JWT_SVID_NO_PATH"
  | "ERR_JWT_SVID_MISSING_AUDIENCE"
  | "ERR_JWT_SVID_MISSING_EXPIRATION"
  | "ERR_JWT_SVID_INVALID_CLAIM"
  // keys and signature (§4, §6)
  | "ERR_JWT_SVID_NO_BUNDLE"
  | "ERR_JWT_SVID_KEY_NOT_FOUND"
  | "ERR_JWT_SVID_ALG_KEY_MISMATCH"
  | "ERR_JWT_SVID_SIGNATURE"
  // validation of the claims (§3.2, §3.3, RFC 7519 §4.1.3-4.1.5)
  | "ERR_JWT_SVID_AUDIENCE_MISMATCH"
  | "ERR_JWT_SVID_EXPIRED"
  | "ERR_JWT_SVID_NOT_YET_VALID";

/**
 * A JWT-SVID could not be parsed, or failed validation; `code` names the rule. The message
 * never contains the token (a bearer credential).
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { JwtSvid, JwtSvidError } from "@spiffe-ts/sdk";
 * try {
 *   await JwtSvid.parseAndValidate(token, bundles, "spiffe://example.org/api");
 * } catch (err) {
 *   if (err instanceof JwtSvidError && err.code === "ERR_JWT_SVID_EXPIRED") console.log("fetch a new token");
 * }
 * ```
 */
export class JwtSvidError extends SpiffeError<JwtSvidErrorCode> {}
