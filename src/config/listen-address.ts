/** A host and port to listen on, parsed from `"host:port"`, `"[::1]:port"`, `":port"` or `"port"`. */
export interface ListenAddress {
  /** Interface to bind; `undefined` for all interfaces (`":8443"`). */
  readonly hostname: string | undefined;
  /** TCP port, 0..65535 (0: any free port). */
  readonly port: number;
}

/** Parses a listen address; returns a message string when it is not one (internal). */
export function parseListenAddress(text: string): ListenAddress | string {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text);
  if (!m) return `expected "host:port", "[ipv6]:port", ":port" or "port", got ${JSON.stringify(text)}`;
  const port = Number(m[2]);
  if (port > 65535) return `port ${port} is out of range 0..65535`;
  const host = m[1] ? m[1].replace(/^\[(.*)\]$/, "$1") : undefined;
  return { hostname: host || undefined, port };
}
