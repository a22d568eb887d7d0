// Configuration of the examples: the environment, read once and checked up front (a wrong
// value stops the program with a message naming the variable, never a silent fallback), the
// log format, and how the programs stop. Copy it next to an example in your own project.
import { type Logger, SpiffeError } from "@spiffe-ts/sdk";

/** A `host:port` listen address (`:8443` binds every interface). */
export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
}

/** Reads `name` from the environment; empty counts as unset. */
export function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces); port 0 picks a free one. */
export function listenAddress(name: string, fallback: string): ListenAddress {
  const text = env(name) ?? fallback;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) fail(`${name} must be host:port (e.g. 0.0.0.0:8443 or :8443), got ${JSON.stringify(text)}`);
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** The settings of the example servers. */
export interface ServerConfig {
  /** `SERVER_ADDRESS`: the mTLS listen address (default `0.0.0.0:8443`; port 0 = any free port). */
  readonly address: ListenAddress;
  /** `HEALTH_ADDRESS`: plain-HTTP `/healthz` and `/readyz` for probes (default `0.0.0.0:8080`); absent when `off`. */
  readonly health?: ListenAddress;
  /** `ALLOWED_CLIENT_ID`: the one client SPIFFE ID allowed; absent = any ID of the server's own trust domain. */
  readonly allowedClientId?: string;
}

/** Reads the example servers' environment; a malformed address exits with status 2. */
export function readServerConfig(): ServerConfig {
  const address = listenAddress("SERVER_ADDRESS", "0.0.0.0:8443");
  const health = env("HEALTH_ADDRESS") === "off" ? undefined : listenAddress("HEALTH_ADDRESS", "0.0.0.0:8080");
  const allowedClientId = env("ALLOWED_CLIENT_ID");
  return { address, ...(health ? { health } : {}), ...(allowedClientId ? { allowedClientId } : {}) };
}

/** Prints `error: ...` and exits with status 2 (bad configuration). */
export function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

/** Prints a startup failure (with the SDK's error code, which the docs index) and exits 1. */
export function exitWith(err: unknown): never {
  console.error(err instanceof SpiffeError ? `error: ${err.code}: ${err.message}` : `error: ${String(err)}`);
  process.exit(1);
}

/** One JSON line per event on stdout; `debug` (e.g. refused handshakes) only with LOG_LEVEL=debug. */
export const jsonLogger: Logger = {
  ...(env("LOG_LEVEL") === "debug" ? { debug: (msg: string, fields?: Record<string, unknown>) => line("debug", msg, fields) } : {}),
  info: (msg, fields) => line("info", msg, fields),
  warn: (msg, fields) => line("warn", msg, fields),
  error: (msg, fields) => line("error", msg, fields),
};

function line(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}

/** Runs `stop` once on SIGTERM or SIGINT (Kubernetes, Ctrl-C), then exits. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    stop().then(
      () => {
        console.log("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => handler("SIGTERM"));
  process.once("SIGINT", () => handler("SIGINT"));
}
