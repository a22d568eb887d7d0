// The character and structure rules of the SPIFFE-ID specification (§2.1, §2.2, §2.3),
// shared by SpiffeId and TrustDomain. Not exported from the package.
import { SpiffeIdError, type SpiffeIdErrorCode } from "../errors/spiffe-id-error.ts";

export const SCHEME_PREFIX = "spiffe://";
/** SPIFFE-ID §2.3: whole ID at most 2048 bytes; the host part at most 255. */
export const MAX_ID_LENGTH = 2048;
export const MAX_TRUST_DOMAIN_LENGTH = 255;

const fail = (code: SpiffeIdErrorCode, message: string): never => {
  throw new SpiffeIdError(code, message);
};

/** Shows (a bounded prefix of) the input in messages without flooding logs. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

const isLowerAlnum = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isPunct = (c: number): boolean => c === 0x2e || c === 0x2d || c === 0x5f; // . - _

/** Throws unless `name` is a valid trust domain name (SPIFFE-ID §2.1). */
export function checkTrustDomainName(name: string, input: string): void {
  if (name.length === 0) fail("ERR_SPIFFE_ID_TRUST_DOMAIN_MISSING", `trust domain is missing in ${quote(input)}`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isLowerAlnum(c) || isPunct(c)) continue;
    const ch = name[i];
    if (ch === "@") fail("ERR_SPIFFE_ID_USERINFO", `trust domain must not contain userinfo ("@") in ${quote(input)}`);
    if (ch === ":") fail("ERR_SPIFFE_ID_PORT", `trust domain must not contain a port (":") in ${quote(input)}`);
    if (ch === "?" || ch === "#") {
      fail("ERR_SPIFFE_ID_QUERY_OR_FRAGMENT", `a SPIFFE ID must not have a query or fragment: ${quote(input)}`);
    }
    if (ch === "%") fail("ERR_SPIFFE_ID_PERCENT_ENCODED", `trust domain must not be percent-encoded: ${quote(input)}`);
    fail(
      "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS",
      `trust domain may contain only lowercase letters, digits, ".", "-" and "_"; found ${
        isUpper(c) ? "uppercase " : ""
      }${JSON.stringify(ch)} in ${quote(input)}`,
    );
  }
  if (name.length > MAX_TRUST_DOMAIN_LENGTH) {
    fail("ERR_SPIFFE_ID_TRUST_DOMAIN_TOO_LONG", `trust domain is longer than ${MAX_TRUST_DOMAIN_LENGTH} bytes`);
  }
}

/** Throws unless `segment` is a valid path segment (SPIFFE-ID §2.2); `isLast` tells a trailing slash apart. */
export function checkPathSegment(segment: string, isLast: boolean, input: string): void {
  if (segment.length === 0) {
    if (isLast) fail("ERR_SPIFFE_ID_TRAILING_SLASH", `path must not end with "/": ${quote(input)}`);
    fail("ERR_SPIFFE_ID_EMPTY_SEGMENT", `path must not contain empty segments ("//"): ${quote(input)}`);
  }
  if (segment === "." || segment === "..") {
    fail("ERR_SPIFFE_ID_DOT_SEGMENT", `path must not contain "." or ".." segments: ${quote(input)}`);
  }
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (isLowerAlnum(c) || isUpper(c) || isPunct(c)) continue;
    const ch = segment[i];
    if (ch === "?" || ch === "#") {
      fail("ERR_SPIFFE_ID_QUERY_OR_FRAGMENT", `a SPIFFE ID must not have a query or fragment: ${quote(input)}`);
    }
    if (ch === "%") fail("ERR_SPIFFE_ID_PERCENT_ENCODED", `path must not be percent-encoded: ${quote(input)}`);
    fail(
      "ERR_SPIFFE_ID_PATH_CHARS",
      `path segments may contain only letters, digits, ".", "-" and "_"; found ${JSON.stringify(ch)} in ${quote(input)}`,
    );
  }
}

/** Throws unless `path` is empty or a valid absolute SPIFFE ID path (SPIFFE-ID §2.2). */
export function checkPath(path: string, input: string): void {
  if (path === "") return;
  if (path[0] !== "/") fail("ERR_SPIFFE_ID_PATH_NOT_ABSOLUTE", `path must start with "/": ${quote(input)}`);
  const segments = path.slice(1).split("/");
  segments.forEach((s, i) => checkPathSegment(s, i === segments.length - 1, input));
}

/** Throws unless the whole ID is within the length limit (SPIFFE-ID §2.3). */
export function checkIdLength(text: string): void {
  // All valid characters are ASCII, so UTF-16 length equals byte length for every valid ID.
  if (text.length > MAX_ID_LENGTH) {
    fail("ERR_SPIFFE_ID_TOO_LONG", `SPIFFE ID is longer than ${MAX_ID_LENGTH} bytes (${text.length})`);
  }
}

/** Throws unless `text` is a string; the first check of every parser, for untyped callers. */
export function checkString(text: unknown, what: string): asserts text is string {
  if (typeof text !== "string") fail("ERR_SPIFFE_ID_EMPTY", `${what} must be a string, got ${typeof text}`);
  if (text === "") fail("ERR_SPIFFE_ID_EMPTY", `${what} is empty`);
}
