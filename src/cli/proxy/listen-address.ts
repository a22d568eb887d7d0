// `--listen` and URL flags of the proxy commands: parsing and the loopback rule.
import { isIP } from "node:net";
import { parseListenAddress as parseListenText } from "../../config/listen-address.ts";
import { CliError, EXIT } from "../command.ts";

/** A host and port to listen on, the host filled in. */
export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
}

/**
 * Reads a `--listen`/`--health` flag with the configuration's parser (`HOST:PORT`,
 * `[IPv6]:PORT`, `:PORT` or `PORT`; no host means `defaultHost`). Port 0 picks a free port
 * (the ready line says which).
 */
export function parseListenAddress(flag: string, text: string, defaultHost: string): ListenAddress {
  const parsed = parseListenText(text);
  if (typeof parsed === "string") throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: ${parsed}`);
  return { hostname: parsed.hostname ?? defaultHost, port: parsed.port };
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
