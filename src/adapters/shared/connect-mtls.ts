import type { TLSSocket } from "node:tls";
import { ConfigError } from "../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../core/lib/describe-type.ts";
import { refuseArgument } from "../../core/lib/refuse.ts";
import type { ClientModeOptions } from "../../http/mtls-client-types.ts";
import { createClientTlsConfig } from "../../tls/client-tls.ts";
import { int } from "./options.ts";

/**
 * The per-connection side of {@link ConnectMtlsOptions}.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface ConnectMtlsConnectionOptions {
  /** ALPN protocols to offer, e.g. `["h2"]`. Default: none. */
  readonly ALPNProtocols?: readonly string[];
  /** Aborts connecting (e.g. `AbortSignal.timeout(5000)`); the promise rejects with its reason. */
  readonly signal?: AbortSignal;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
}

/**
 * Options of {@link connectMtls}: who the client is and whom it accepts, by mode
 * (`{ source, authorizer }` in mode `"mtls"`, the default; see {@link ClientModeOptions}),
 * plus {@link ConnectMtlsConnectionOptions}.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type ConnectMtlsOptions = ClientModeOptions & ConnectMtlsConnectionOptions;

/**
 * Opens a raw TLS connection over SPIFFE mTLS: presents the source's current X.509-SVID,
 * verifies the server's chain against the bundle of the server's trust domain (never its
 * hostname, never system roots) and authorizes its SPIFFE ID, and resolves with the
 * socket only then: nothing can be written to an unverified server. `getPeerId(socket)`
 * gives the server's verified ID. For HTTP, prefer `createMtlsClient`.
 *
 * Behind an `https.Agent` (its `createConnection` handing over the socket once this
 * resolves), note that the agent counts a socket against `maxSockets` only when it
 * arrives: under a burst it opens more connections than `maxSockets` and then closes the
 * extras. Limit requests per origin in front of the agent (as `createMtlsClient` does).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import { authorizeId, connectMtls, getPeerId, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const socket = await connectMtls("db.internal", 5433, { source, authorizer: authorizeId("spiffe://example.org/db") });
 * console.log(`connected to ${getPeerId(socket)}`);
 * socket.end("PING\n");
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an invalid `host`, `port` or `options` (`argument` names it), or
 *   its subclass {@link ConfigError} for an invalid option (checked before connecting, reported as a rejection).
 * @throws {X509SvidError} when the server's chain is not a valid X.509-SVID of a trusted trust domain.
 * @throws {AuthorizationError} when the authorizer refuses the server's SPIFFE ID.
 */
export async function connectMtls(host: string, port: number, options: ConnectMtlsOptions): Promise<TLSSocket> {
  if (typeof host !== "string" || host.trim() === "" || /[\s/]/.test(host)) throw new InvalidArgumentError("host", `connectMtls: host must be a host name or IP address, got ${JSON.stringify(host)}`);
  int("port", port === undefined ? Number.NaN : port, 0, 1, 65535, refuseArgument);
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `connectMtls needs { source, authorizer }, got ${describeType(options)}`);
  const alpn = options.ALPNProtocols;
  if (alpn !== undefined && (!Array.isArray(alpn) || !alpn.every((a) => typeof a === "string" && a !== ""))) {
    throw new ConfigError("ALPNProtocols", `must be an array of protocol names, got ${JSON.stringify(alpn)}`);
  }
  const tls = createClientTlsConfig(options);
  try {
    return await tls.connect(host, port, { ALPNProtocols: alpn, signal: options.signal });
  } finally {
    tls.close();
  }
}
