// The listen-address syntax of the SDK's configuration surfaces: `loadConfig`'s `listen` and
// `health` (file and environment) and the CLI's `--listen`/`--health` flags. Web APIs only.

/**
 * A host and port to listen on, parsed from `"host:port"`, `"[::1]:port"`, `":port"` or `"port"`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk/config`.
 */
export interface ListenAddress {
  /** Interface to bind; `undefined` for all interfaces (`":8443"`). */
  readonly hostname: string | undefined;
  /** TCP port, 0..65535 (0: any free port). */
  readonly port: number;
}

/** Parses a listen address; returns what is wrong (a sentence) when it is not one (internal). */
export function parseListenAddress(text: string): ListenAddress | string {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
  if (!m) return `expected "host:port", "[ipv6]:port", ":port" or "port", got ${JSON.stringify(text)}`;
  const port = Number(m[2]);
  if (port > 65535) return `port ${port} is out of range 0..65535`;
  const bracketed = m[1]?.startsWith("[") === true;
  if (bracketed && !isIpv6(m[1]!.slice(1, -1))) return `${JSON.stringify(m[1])} is not an IPv6 address`;
  const host = m[1] ? (bracketed ? m[1].slice(1, -1) : m[1]) : undefined;
  return { hostname: host || undefined, port };
}

/** Whether `text` (without brackets) is an IPv6 address, as the WHATWG URL parser reads one. */
function isIpv6(text: string): boolean {
  try {
    return new URL(`http://[${text}]/`).hostname !== "";
  } catch {
    return false;
  }
}
