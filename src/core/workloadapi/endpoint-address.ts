// SPIFFE Workload Endpoint spec §4 ("Locating the Endpoint"): the address is an RFC 3986 URI,
// either `unix:` with an absolute path and no authority, or `tcp://IP:port`, nothing else.
import { WorkloadApiError, type WorkloadApiErrorCode } from "../errors/workload-api-error.ts";

/**
 * Where a Workload API endpoint listens: a Unix domain socket path, or an IP address and
 * TCP port (IPv6 addresses without brackets).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type WorkloadApiAddress =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/** Addresses longer than this are refused before parsing (a real one is < 200 bytes). */
const MAX_ADDRESS_LENGTH = 4096;
const EXPECTED = 'expected "unix:///absolute/path/to/socket" or "tcp://IP:port" (e.g. "tcp://127.0.0.1:8081")';
/** Characters allowed anywhere in an RFC 3986 URI (unreserved, reserved, "%"). */
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
/** RFC 3986 path characters: pchar and "/". */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Parses a Workload API endpoint address (the value of `SPIFFE_ENDPOINT_SOCKET`) per the
 * SPIFFE Workload Endpoint specification §4.
 *
 * Accepted: `unix:///absolute/path` (also `unix:/absolute/path`; no authority, query,
 * fragment or user info; percent-encoding is decoded) and `tcp://IP:port` (an IPv4
 * literal or a bracketed IPv6 literal, port 1-65535, nothing else). The scheme is
 * case-insensitive.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { parseWorkloadApiAddress } from "@spiffe-ts/sdk";
 * parseWorkloadApiAddress("unix:///run/spire/sockets/agent.sock"); // { kind: "unix", path: "/run/spire/sockets/agent.sock" }
 * parseWorkloadApiAddress("tcp://127.0.0.1:8081"); // { kind: "tcp", host: "127.0.0.1", port: 8081 }
 * ```
 *
 * @throws {WorkloadApiError} `ERR_WORKLOAD_API_ADDRESS_MISSING` (empty),
 *   `ERR_WORKLOAD_API_ADDRESS_SYNTAX` (not a URI), `ERR_WORKLOAD_API_ADDRESS_SCHEME`
 *   (bare path or scheme other than unix/tcp), `ERR_WORKLOAD_API_ADDRESS_AUTHORITY`
 *   (unix with a host, tcp without `//`), `ERR_WORKLOAD_API_ADDRESS_USERINFO`,
 *   `ERR_WORKLOAD_API_ADDRESS_PATH`, `ERR_WORKLOAD_API_ADDRESS_QUERY`,
 *   `ERR_WORKLOAD_API_ADDRESS_FRAGMENT`, `ERR_WORKLOAD_API_ADDRESS_HOST` (tcp host not an
 *   IP literal) or `ERR_WORKLOAD_API_ADDRESS_PORT`.
 */
export function parseWorkloadApiAddress(text: string): WorkloadApiAddress {
  if (typeof text !== "string") fail("ERR_WORKLOAD_API_ADDRESS_SYNTAX", `must be a string, got ${typeof text}`);
  if (text.trim() === "") fail("ERR_WORKLOAD_API_ADDRESS_MISSING", "is empty");
  if (text.length > MAX_ADDRESS_LENGTH) fail("ERR_WORKLOAD_API_ADDRESS_SYNTAX", `is longer than ${MAX_ADDRESS_LENGTH} characters`);
  const shown = JSON.stringify(text);
  if (!URI_CHARS.test(text)) {
    fail("ERR_WORKLOAD_API_ADDRESS_SYNTAX", `${shown} contains characters not allowed in a URI (spaces, control or non-ASCII characters must be percent-encoded)`);
  }
  const scheme = SCHEME.exec(text);
  if (!scheme) {
    const hint = text.startsWith("/") ? ` (a bare path; did you mean "unix://${text}"?)` : "";
    fail("ERR_WORKLOAD_API_ADDRESS_SCHEME", `${shown} has no URI scheme${hint}`);
  }
  const name = scheme[1]!.toLowerCase();
  let rest = text.slice(scheme[0].length);
  const hash = rest.indexOf("#");
  if (hash !== -1) fail("ERR_WORKLOAD_API_ADDRESS_FRAGMENT", `${shown} must not have a fragment ("#...")`);
  const question = rest.indexOf("?");
  if (question !== -1) fail("ERR_WORKLOAD_API_ADDRESS_QUERY", `${shown} must not have a query ("?...")`);
  let authority: string | undefined;
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    authority = rest.slice(2, slash === -1 ? undefined : slash);
    rest = slash === -1 ? "" : rest.slice(slash);
  }
  if (name === "unix") return parseUnix(shown, authority, rest);
  if (name === "tcp") return parseTcp(shown, authority, rest);
  fail("ERR_WORKLOAD_API_ADDRESS_SCHEME", `${shown} has scheme "${scheme[1]}"; only "unix" and "tcp" are allowed`);
}

function parseUnix(shown: string, authority: string | undefined, path: string): WorkloadApiAddress {
  if (authority !== undefined && authority.includes("@")) fail("ERR_WORKLOAD_API_ADDRESS_USERINFO", `${shown} must not have user info`);
  if (authority) {
    fail("ERR_WORKLOAD_API_ADDRESS_AUTHORITY", `${shown} must not have an authority ("${authority}"); a unix address is "unix://" followed by an absolute path, e.g. "unix:///${authority}${path}"`);
  }
  if (path === "" || path === "/") fail("ERR_WORKLOAD_API_ADDRESS_PATH", `${shown} has no socket path`);
  if (!path.startsWith("/")) fail("ERR_WORKLOAD_API_ADDRESS_PATH", `${shown} has a relative path; the socket path must be absolute`);
  if (!PATH_CHARS.test(path)) fail("ERR_WORKLOAD_API_ADDRESS_PATH", `${shown} has characters not allowed in a URI path`);
  const decoded = percentDecode(path);
  if (decoded === undefined) fail("ERR_WORKLOAD_API_ADDRESS_PATH", `${shown} has an invalid percent-encoding in its path`);
  if (decoded.includes("\0")) fail("ERR_WORKLOAD_API_ADDRESS_PATH", `${shown} has a NUL character in its path`);
  return { kind: "unix", path: decoded };
}

function parseTcp(shown: string, authority: string | undefined, path: string): WorkloadApiAddress {
  if (authority === undefined) fail("ERR_WORKLOAD_API_ADDRESS_AUTHORITY", `${shown} has no authority; a tcp address is "tcp://IP:port"`);
  if (authority.includes("@")) fail("ERR_WORKLOAD_API_ADDRESS_USERINFO", `${shown} must not have user info`);
  if (path !== "") fail("ERR_WORKLOAD_API_ADDRESS_PATH", `${shown} must not have a path ("${path}")`);
  if (authority === "") fail("ERR_WORKLOAD_API_ADDRESS_HOST", `${shown} has no host`);
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close === -1) fail("ERR_WORKLOAD_API_ADDRESS_HOST", `${shown} has an unterminated IPv6 literal`);
    host = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) fail("ERR_WORKLOAD_API_ADDRESS_HOST", `${shown} has text after the IPv6 literal`);
    portText = after === "" ? undefined : after.slice(1);
    if (!isIPv6(host)) fail("ERR_WORKLOAD_API_ADDRESS_HOST", `${shown}: "[${host}]" is not an IPv6 address`);
    host = host.toLowerCase();
  } else {
    const colon = authority.lastIndexOf(":");
    host = colon === -1 ? authority : authority.slice(0, colon);
    portText = colon === -1 ? undefined : authority.slice(colon + 1);
    if (!isIPv4(host)) {
      const why = host.includes(":") ? "an IPv6 address must be in brackets, e.g. tcp://[::1]:8081" : "the host must be an IP address, not a host name";
      fail("ERR_WORKLOAD_API_ADDRESS_HOST", `${shown}: "${host}" is not an IP address (${why})`);
    }
  }
  if (portText === undefined) fail("ERR_WORKLOAD_API_ADDRESS_PORT", `${shown} has no port`);
  const port = /^[1-9][0-9]{0,4}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535) fail("ERR_WORKLOAD_API_ADDRESS_PORT", `${shown}: port "${portText}" must be a number from 1 to 65535 without leading zeros`);
  return { kind: "tcp", host, port };
}

function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** RFC 4291 §2.2 textual IPv6 (hex groups, one "::", optional trailing IPv4); no zone ID. */
function isIPv6(text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!isIPv4(last)) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function percentDecode(text: string): string | undefined {
  if (!text.includes("%")) return text;
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function fail(code: WorkloadApiErrorCode, detail: string): never {
  throw new WorkloadApiError(code, `invalid Workload API address: ${detail}; ${EXPECTED}`);
}
