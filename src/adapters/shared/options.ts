import { ConfigError } from "../../core/errors/config-error.ts";
import { type Refuse, refuseOption } from "../../core/lib/refuse.ts";
import { InvalidArgumentError } from "../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../core/lib/describe-type.ts";
import type { Logger } from "../../core/logger.ts";
import type { ClientOptions } from "../../http/mtls-client-types.ts";
import type { PeerIdentity } from "../../http/peer-identity.ts";
import type { ServeOptions } from "../../http/serve-mtls-types.ts";

/** Server options after validation, with every default filled in (the TLS part is checked by createServerTlsConfig). */
export interface ServeConfig {
  readonly fetch: (request: Request, context: { readonly peer: PeerIdentity | undefined }) => Response | Promise<Response>;
  readonly port: number;
  readonly hostname: string;
  readonly health: { readonly port: number; readonly hostname: string; readonly metrics: (() => string | Promise<string>) | undefined } | undefined;
  readonly timeouts: { readonly handshakeMs: number; readonly headersMs: number; readonly requestMs: number; readonly idleMs: number };
  readonly logger: Logger;
  readonly now: () => Date;
}

/** Client options after validation, with every default filled in (the TLS part is checked by createClientTlsConfig). */
export interface ClientConfig {
  readonly timeoutMs: number;
  readonly pool: { readonly maxIdle: number; readonly maxIdlePerOrigin: number; readonly maxPerOrigin: number; readonly idleTimeoutMs: number };
  readonly logger: Logger;
  readonly now: () => Date;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

export function checkFunction(name: string, v: unknown, hint: string): void {
  if (typeof v !== "function") throw new ConfigError(name, `must be a function (${hint})`);
}

/**
 * `v`, an integer from `min` to `max`, or `fallback` when undefined. A refused value is a
 * `ConfigError` (an option of a factory), or what `refuse` makes (e.g. an argument of a call).
 */
export function int(name: string, v: unknown, fallback: number, min: number, max: number, refuse: Refuse = refuseOption): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw refuse(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function host(name: string, v: unknown, fallback: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || v.trim() === "" || /[\s/]/.test(v)) throw new ConfigError(name, `must be a host name or IP address, got ${JSON.stringify(v)}`);
  return v;
}

const DAY = 86_400_000;

/** Validates `serveMtls` options at creation, so mistakes fail before the first request. */
export function validateServeOptions(o: ServeOptions): ServeConfig {
  if (!isObject(o)) throw new InvalidArgumentError("options", `serveMtls needs an options object, got ${describeType(o)}`);
  checkFunction("fetch", o.fetch, "(request, { peer }) => Response");
  const t = o.timeouts ?? {};
  if (!isObject(t)) throw new ConfigError("timeouts", "must be an object");
  let health: ServeConfig["health"];
  if (o.health !== undefined) {
    if (!isObject(o.health)) throw new ConfigError("health", "must be { port, hostname? }");
    if (o.health.metrics !== undefined && typeof o.health.metrics !== "function") throw new ConfigError("health.metrics", "must be a function returning the metrics text");
    health = { port: int("health.port", o.health.port ?? Number.NaN, 0, 0, 65535), hostname: host("health.hostname", o.health.hostname, "0.0.0.0"), metrics: o.health.metrics };
  }
  if (o.onIdentityLost !== undefined) checkFunction("onIdentityLost", o.onIdentityLost, "(error) => void");
  return {
    fetch: o.fetch as ServeConfig["fetch"],
    port: int("port", o.port, 8443, 0, 65535),
    hostname: host("hostname", o.hostname, "0.0.0.0"),
    health,
    timeouts: {
      handshakeMs: int("timeouts.handshakeMs", t.handshakeMs, 10_000, 0, DAY),
      headersMs: int("timeouts.headersMs", t.headersMs, 10_000, 0, DAY),
      requestMs: int("timeouts.requestMs", t.requestMs, 60_000, 0, DAY),
      idleMs: int("timeouts.idleMs", t.idleMs, 60_000, 0, DAY),
    },
    logger: isObject(o.logger) ? (o.logger as Logger) : {},
    now: typeof o.now === "function" ? o.now : () => new Date(),
  };
}

/** Validates `createMtlsClient` options at creation. */
export function validateClientOptions(o: ClientOptions): ClientConfig {
  if (!isObject(o)) throw new InvalidArgumentError("options", `createMtlsClient needs an options object, got ${describeType(o)}`);
  if (o.http2 !== undefined && typeof o.http2 !== "boolean") throw new ConfigError("http2", `must be a boolean, got ${JSON.stringify(o.http2)}`);
  const p = o.pool ?? {};
  if (!isObject(p)) throw new ConfigError("pool", "must be an object");
  return {
    timeoutMs: int("timeoutMs", o.timeoutMs, 30_000, 0, DAY),
    pool: {
      maxIdle: int("pool.maxIdle", p.maxIdle, 100, 0, 100_000),
      maxIdlePerOrigin: int("pool.maxIdlePerOrigin", p.maxIdlePerOrigin, 10, 0, 100_000),
      maxPerOrigin: int("pool.maxPerOrigin", p.maxPerOrigin, 100, 1, 100_000),
      idleTimeoutMs: int("pool.idleTimeoutMs", p.idleTimeoutMs, 90_000, 1, DAY),
    },
    logger: isObject(o.logger) ? (o.logger as Logger) : {},
    now: typeof o.now === "function" ? o.now : () => new Date(),
  };
}
