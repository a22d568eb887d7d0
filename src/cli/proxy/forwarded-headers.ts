// Which headers a proxy passes on (RFC 9110 §7.6.1: connection-specific fields are not forwarded).
import { CONNECTION_SPECIFIC_FIELDS } from "../../adapters/shared/http-fields.ts";

/**
 * Connection-specific ("hop-by-hop") fields, plus `host`, which each leg sets itself, and
 * `expect`: the proxy's own HTTP server already answered `100-continue` to its client.
 */
const HOP_BY_HOP = new Set([...CONNECTION_SPECIFIC_FIELDS, "proxy-authenticate", "proxy-authorization", "te", "trailer", "host", "expect"]);

/**
 * The end-to-end headers of a message given as raw `[name, value, name, value, …]` pairs or
 * `Headers`: hop-by-hop fields, fields the `Connection` header names, and `drop` (lower-case
 * names) are left out; repeated fields keep every value.
 */
export function forwardedHeaders(input: readonly string[] | Headers, drop: ReadonlySet<string> = new Set()): Headers {
  const pairs: [string, string][] = [];
  if (Array.isArray(input)) for (let i = 0; i + 1 < input.length; i += 2) pairs.push([input[i]!.toLowerCase(), input[i + 1]!]);
  else (input as Headers).forEach((value, name) => pairs.push([name, value]));
  const named = new Set<string>();
  for (const [name, value] of pairs) if (name === "connection") for (const token of value.split(",")) named.add(token.trim().toLowerCase());
  const out = new Headers();
  const cookies: string[] = [];
  for (const [name, value] of pairs) {
    if (HOP_BY_HOP.has(name) || named.has(name) || drop.has(name) || name.startsWith(":")) continue;
    if (name === "cookie") cookies.push(value);
    else out.append(name, value);
  }
  // Several Cookie fields (HTTP/2 sends one per cookie) become one, joined with "; " (RFC 9113 §8.2.3).
  if (cookies.length) out.set("cookie", cookies.join("; "));
  return out;
}
