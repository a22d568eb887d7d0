// The structure, JOSE header and claim-shape rules of a JWT-SVID (JWT-SVID spec §1, §2, §3,
// §5.1; RFC 7515 §3.1, §4.1.11; RFC 7519 §4.1). No signature, no clock: those are in
// jwt-svid.ts. Internal to the jwt module. Messages never contain the token.
import { InvalidArgumentError } from "../../errors/invalid-argument-error.ts";
import { JwtSvidError, type JwtSvidErrorCode } from "../../errors/jwt-svid-error.ts";
import { SpiffeError } from "../../errors/spiffe-error.ts";
import { decodeBase64Url } from "../../lib/base64url.ts";
import { describeType } from "../../lib/describe-type.ts";
import { SpiffeId } from "../../spiffeid/spiffe-id.ts";

/** Longest token accepted (characters); SPIRE's are well under 2 KiB. */
export const MAX_JWT_SVID_LENGTH = 64 * 1024;

/** The `alg` values a JWT-SVID may use (JWT-SVID spec §2.1: RFC 7518 §3.3, §3.4, §3.5). */
export const JWT_SVID_ALGORITHMS: ReadonlySet<string> = new Set(["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]);

/** Header parameters a JWT-SVID may carry (JWT-SVID spec §2: any other MUST NOT be included). */
const ALLOWED_HEADERS: ReadonlySet<string> = new Set(["alg", "kid", "typ"]);

/** Strict UTF-8 (a malformed byte sequence is an error, not U+FFFD). */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Latest representable `Date`, in seconds (ECMA-262 §21.4.1.1). */
const MAX_NUMERIC_DATE = 8.64e12;

/** A token that passed every rule that needs neither a key nor a clock. */
export interface DecodedJwtSvid {
  readonly alg: string;
  readonly kid: string | undefined;
  /** Every claim, not frozen yet: the object never leaves the SDK unfrozen (JwtSvid freezes it when it is first read). */
  readonly claims: Record<string, unknown>;
  readonly id: SpiffeId;
  /** `aud` as a list of its own, not frozen yet (JwtSvid freezes it when it is first read). */
  readonly audience: string[];
  /** `exp`, NumericDate seconds. */
  readonly exp: number;
  /** `nbf`, NumericDate seconds, when present. */
  readonly nbf: number | undefined;
  /** The JWS signature, decoded. */
  readonly signature: Uint8Array<ArrayBuffer>;
}

/**
 * Splits and decodes a compact JWS and checks the JWT-SVID header and claim shapes.
 *
 * @throws {JwtSvidError} every code of the serialization, header and claims groups.
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"token"`) when the token
 *   is not a string or is empty.
 */
export function decodeJwtSvid(token: unknown): DecodedJwtSvid {
  if (typeof token !== "string") throw new InvalidArgumentError("token", `the token must be a string, got ${describeType(token)}`);
  if (token === "") throw new InvalidArgumentError("token", "the token is empty; a JWT-SVID in JWS compact serialization is required");
  if (token.length > MAX_JWT_SVID_LENGTH) fail("ERR_JWT_SVID_TOO_LARGE", `the token is longer than ${MAX_JWT_SVID_LENGTH} characters`);
  if (token.trimStart().startsWith("{")) {
    fail("ERR_JWT_SVID_JSON_SERIALIZATION", "the token uses the JWS JSON serialization; a JWT-SVID MUST use the compact serialization (JWT-SVID spec §5.1)");
  }
  const parts = token.split(".");
  if (parts.length !== 3) {
    const jwe = parts.length === 5 ? " (five parts: a JWE; only JWS is supported)" : "";
    fail("ERR_JWT_SVID_PART_COUNT", `the token has ${parts.length} dot-separated parts${jwe}; a compact JWS has three: header.payload.signature`);
  }
  const header = decodeJsonPart(parts[0]!, "JOSE header");
  const claims = decodeJsonPart(parts[1]!, "payload (claims set)");
  const signature = decodeBase64Url(parts[2]!);
  if (signature === undefined) fail("ERR_JWT_SVID_BASE64URL", "the signature is not valid unpadded base64url");

  const { alg, kid } = checkHeader(header);
  const id = subjectOf(claims);
  const audience = audienceOf(claims);
  const exp = numericDate(claims, "exp");
  if (exp === undefined) fail("ERR_JWT_SVID_MISSING_EXPIRATION", `the token has no "exp" claim, which a JWT-SVID MUST have (JWT-SVID spec §3.3)`);
  const nbf = numericDate(claims, "nbf");
  numericDate(claims, "iat"); // optional; only its type is checked
  return { alg, kid, claims, id, audience, exp, nbf, signature };
}

function checkHeader(header: Record<string, unknown>): { alg: string; kid: string | undefined } {
  const alg = own(header, "alg");
  if (typeof alg !== "string" || !JWT_SVID_ALGORITHMS.has(alg)) {
    const what = alg === undefined ? "no" : `the "alg" ${show(alg)} is not an allowed`;
    fail("ERR_JWT_SVID_UNSUPPORTED_ALG", `the token has ${what} algorithm; a JWT-SVID uses RS256/384/512, ES256/384/512 or PS256/384/512 (JWT-SVID spec §2.1)`);
  }
  if (Object.hasOwn(header, "crit")) {
    fail("ERR_JWT_SVID_CRIT", `the token's "crit" header lists extensions ${show(header["crit"])} that a JWT-SVID validator does not understand (RFC 7515 §4.1.11)`);
  }
  const typ = own(header, "typ");
  if (typ !== undefined && typ !== "JWT" && typ !== "JOSE") {
    fail("ERR_JWT_SVID_TYP", `the token's "typ" is ${show(typ)}; when present it MUST be "JWT" or "JOSE" (JWT-SVID spec §2.3)`);
  }
  for (const name of Object.keys(header)) {
    if (!ALLOWED_HEADERS.has(name)) {
      fail("ERR_JWT_SVID_HEADER_NOT_ALLOWED", `the token's header has the parameter ${show(name)}; a JWT-SVID header may only hold "alg", "kid" and "typ" (JWT-SVID spec §2)`);
    }
  }
  const kid = own(header, "kid");
  if (kid !== undefined && (typeof kid !== "string" || kid === "")) fail("ERR_JWT_SVID_KID", `the token's "kid" must be a non-empty string, got ${show(kid)}`);
  return { alg, kid };
}

function subjectOf(claims: Record<string, unknown>): SpiffeId {
  const sub = own(claims, "sub");
  if (sub === undefined) fail("ERR_JWT_SVID_MISSING_SUBJECT", `the token has no "sub" claim; it MUST be the workload's SPIFFE ID (JWT-SVID spec §3.1)`);
  if (typeof sub !== "string") fail("ERR_JWT_SVID_INVALID_SUBJECT", `the token's "sub" must be a SPIFFE ID string, got ${show(sub)}`);
  let id: SpiffeId;
  try {
    id = SpiffeId.parse(sub);
  } catch (err) {
    const reason = err instanceof SpiffeError ? `${err.code}: ${err.message}` : "invalid";
    throw new JwtSvidError("ERR_JWT_SVID_INVALID_SUBJECT", `the token's "sub" is not a valid SPIFFE ID (${reason})`, { cause: err });
  }
  // A SPIFFE ID without a path names a trust domain (its signing authority), never a
  // workload: JWT-SVID spec §3.1, SPIFFE-ID spec §2.2 and §3.1, as X509-SVID spec §3.1 for
  // leaves (ERR_X509_SVID_NO_PATH).
  if (id.isTrustDomainId) {
    fail("ERR_JWT_SVID_NO_PATH", `the token's "sub" "${id}" has no path: it names a trust domain, but a JWT-SVID's "sub" MUST be the SPIFFE ID of a workload, e.g. "${id}/service" (JWT-SVID spec §3.1)`);
  }
  return id;
}

function audienceOf(claims: Record<string, unknown>): string[] {
  const aud = own(claims, "aud");
  if (aud === undefined) fail("ERR_JWT_SVID_MISSING_AUDIENCE", `the token has no "aud" claim, which a JWT-SVID MUST have (JWT-SVID spec §3.2)`);
  if (typeof aud === "string") return [aud];
  if (!Array.isArray(aud) || !aud.every((a) => typeof a === "string")) {
    fail("ERR_JWT_SVID_INVALID_CLAIM", `the token's "aud" must be a string or an array of strings, got ${show(aud)}`);
  }
  if (aud.length === 0) fail("ERR_JWT_SVID_MISSING_AUDIENCE", `the token's "aud" is an empty array; it MUST contain one or more values (JWT-SVID spec §3.2)`);
  return [...(aud as string[])];
}

/** A NumericDate claim (RFC 7519 §2): a finite number of seconds within `Date`'s range. */
function numericDate(claims: Record<string, unknown>, name: "exp" | "nbf" | "iat"): number | undefined {
  const value = own(claims, name);
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > MAX_NUMERIC_DATE) {
    fail("ERR_JWT_SVID_INVALID_CLAIM", `the token's "${name}" must be a NumericDate (seconds since the epoch), got ${show(value)}`);
  }
  return value;
}

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  const bytes = decodeBase64Url(part);
  if (bytes === undefined) fail("ERR_JWT_SVID_BASE64URL", `the ${what} is not valid unpadded base64url`);
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    fail("ERR_JWT_SVID_JSON", `the ${what} is not UTF-8 JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("ERR_JWT_SVID_JSON", `the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function own(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

/** A short, safe rendering of a header or claim value (never the token). */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Freezes `value` and everything in it (iteratively: a deeply nested claim must not overflow the stack). */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  return value;
}

function fail(code: JwtSvidErrorCode, message: string): never {
  throw new JwtSvidError(code, message);
}
