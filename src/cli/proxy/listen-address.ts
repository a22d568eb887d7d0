// `--listen` and URL flags of the proxy commands: parsing and the loopback rule.
import { isIP } from "node:net";
import { CliError, EXIT } from "../command.ts";

/** A host and port to listen on. */
export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (host then `defaultHost`). Port 0 picks
 * a free port (the ready line says which).
 */
export function parseListenAddress(flag: string, text: string, defaultHost: string): ListenAddress {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) {
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: expected HOST:PORT, [IPv6]:PORT or :PORT, got ${JSON.stringify(text)}`);
  }
  const host = m[1] ? (m[1].startsWith("[") ? m[1].slice(1, -1) : m[1]) : defaultHost;
  if (m[1]?.startsWith("[") && isIP(host) !== 6) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: ${JSON.stringify(m[1])} is not an IPv6 address`);
  return { hostname: host, port };
}

/** True for `localhost`, 127.0.0.0/8 and ::1: addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** Parses a URL flag that must be `protocol` with nothing but an origin (no path, query, user). */
export function parseOriginFlag(flag: string, text: string, protocol: "http:" | "https:"): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: expected a URL such as ${protocol}//127.0.0.1:8080, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== protocol) {
    const why = protocol === "https:" ? "the upstream speaks SPIFFE mTLS" : "the target is the plain-HTTP app behind the proxy";
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: must be a ${protocol}// URL (${why}), got ${JSON.stringify(text)}`);
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username || url.password) {
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: give only ${protocol}//host:port (request paths are forwarded as they come), got ${JSON.stringify(text)}`);
  }
  return url;
}
