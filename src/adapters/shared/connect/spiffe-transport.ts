// Connect-ES client transports over SPIFFE mTLS: Connect's own gRPC and Connect protocol
// transports for Node's http2, with the SDK's session manager (every connection verified
// by src/tls before the first RPC byte).
import type { Transport } from "@connectrpc/connect";
import { type ConnectTransportOptions, createConnectTransport, createGrpcTransport, type GrpcTransportOptions } from "@connectrpc/connect-node";
import type { Authorizer } from "../../../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../../../core/bundle/x509-bundle-source.ts";
import { ConfigError } from "../../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";
import type { Logger } from "../../../core/logger.ts";
import type { X509SvidSource } from "../../../core/svid/x509/x509-svid-source.ts";
import type { SpiffeTlsMode } from "../../../http/tls-mode.ts";
import { createClientTlsConfig } from "../../../tls/client-tls.ts";
import { int } from "../options.ts";
import { createSpiffeSessionManager } from "./spiffe-session-manager.ts";

/** What the SDK's Connect transports add to Connect's own options. */
export interface SpiffeTransportBaseOptions {
  /** The server, `https://host:port` (its host names no certificate: the SPIFFE ID is checked). */
  readonly baseUrl: string;
  /** Default `"mtls"`; `"tls"` presents no SVID (pair it with JWT-SVIDs in a header). */
  readonly mode?: Exclude<SpiffeTlsMode, "mtls-web">;
  /** The client's own X.509-SVID and the bundles servers are verified with; usually an `X509Source`. */
  readonly source: Partial<X509SvidSource> & X509BundleSourceLike;
  /** Which server SPIFFE IDs are acceptable, e.g. `authorizeId("spiffe://example.org/greeter")`. */
  readonly authorizer: Authorizer;
  /** How long connecting (TCP, TLS, verification) may take, ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** A connection without calls is closed after this long, ms. Default 60 000. */
  readonly idleTimeoutMs?: number;
  /** Rotations and loss of the client's own SVID. Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
}

/**
 * Options of {@link createSpiffeGrpcTransport}: Connect's `GrpcTransportOptions` (interceptors,
 * compression, limits, …) without what the SDK sets (the HTTP/2 session and its Node options).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type SpiffeGrpcTransportOptions = SpiffeTransportBaseOptions & Omit<GrpcTransportOptions, keyof SpiffeTransportBaseOptions | "sessionManager" | "nodeOptions" | "pingIntervalMs" | "pingIdleConnection" | "pingTimeoutMs" | "idleConnectionTimeoutMs">;

/**
 * Options of {@link createSpiffeConnectTransport}: Connect's `ConnectTransportOptions` over
 * HTTP/2 without what the SDK sets.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type SpiffeConnectTransportOptions = SpiffeTransportBaseOptions & Omit<Extract<ConnectTransportOptions, { httpVersion: "2" }>, keyof SpiffeTransportBaseOptions | "httpVersion" | "sessionManager" | "nodeOptions" | "pingIntervalMs" | "pingIdleConnection" | "pingTimeoutMs" | "idleConnectionTimeoutMs">;

/**
 * A Connect `Transport` over SPIFFE mTLS, with `close()` to end its connections.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeTransport extends Transport {
  /** Closes the transport's connections (calls in flight fail) and stops following the source. */
  close(): void;
  /** The same as `close()`, for `using`. */
  [Symbol.dispose](): void;
}

/**
 * A Connect-ES transport speaking gRPC over SPIFFE mTLS (HTTP/2), for `createClient` from
 * `@connectrpc/connect`. Every connection presents the source's current X.509-SVID, and
 * the server's X.509-SVID is verified against the bundle of its trust domain (never its
 * host name) and its ID authorized before the first RPC byte is sent; a refused server
 * fails the call with a `ConnectError` whose `cause` is the SDK's error
 * (`AuthorizationError`, `X509SvidError`). One HTTP/2 connection is shared by the calls;
 * when the client's SVID rotates, the next call opens a new one. Runs on Node.js, Bun and Deno.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import { createClient } from "@connectrpc/connect";
 * import { authorizeId, createSpiffeGrpcTransport, X509Source } from "@spiffe-ts/sdk/node";
 * import { GreeterService } from "./gen/greeter_pb.ts";
 * const source = await X509Source.create();
 * const transport = createSpiffeGrpcTransport({ baseUrl: "https://greeter.internal:8443", source, authorizer: authorizeId("spiffe://example.org/greeter") });
 * const reply = await createClient(GreeterService, transport).greet({ name: "web" });
 * transport.close();
 * ```
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` for a `baseUrl` that is not `https:`, or invalid options; the source's error when it has no SVID now.
 */
export function createSpiffeGrpcTransport(options: SpiffeGrpcTransportOptions): SpiffeTransport {
  return spiffeTransport(options, (connect, sessionManager) => createGrpcTransport({ ...connect, sessionManager }));
}

/**
 * Like {@link createSpiffeGrpcTransport}, speaking the Connect protocol (HTTP/2): for Connect
 * services served with `createConnectFetchHandler` on `serveMtls`, which cannot send the
 * HTTP trailers gRPC needs.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import { createClient } from "@connectrpc/connect";
 * import { authorizeId, createSpiffeConnectTransport, X509Source } from "@spiffe-ts/sdk/node";
 * import { GreeterService } from "./gen/greeter_pb.ts";
 * const source = await X509Source.create();
 * const transport = createSpiffeConnectTransport({ baseUrl: "https://greeter.internal:8443", source, authorizer: authorizeId("spiffe://example.org/greeter") });
 * const reply = await createClient(GreeterService, transport).greet({ name: "web" });
 * ```
 * @throws {ConfigError} as {@link createSpiffeGrpcTransport}.
 */
export function createSpiffeConnectTransport(options: SpiffeConnectTransportOptions): SpiffeTransport {
  return spiffeTransport(options, (connect, sessionManager) => createConnectTransport({ ...connect, httpVersion: "2", sessionManager }));
}

function spiffeTransport<O extends SpiffeTransportBaseOptions>(
  options: O,
  make: (connectOptions: Omit<O, keyof SpiffeTransportBaseOptions> & { baseUrl: string }, sessionManager: ReturnType<typeof createSpiffeSessionManager>) => Transport,
): SpiffeTransport {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `the transport needs { baseUrl, source, authorizer }, got ${describeType(options)}`);
  const { baseUrl, mode, source, authorizer, connectTimeoutMs, idleTimeoutMs, logger, now, ...connect } = options;
  const url = typeof baseUrl === "string" && URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (!url || url.protocol !== "https:") throw new ConfigError("baseUrl", `must be an https:// URL of the server, got ${JSON.stringify(baseUrl)}`);
  if ((mode as string | undefined) === "mtls-web") throw new ConfigError("mode", 'these transports authenticate SPIFFE servers: use "mtls" or "tls"');
  const connectMs = int("connectTimeoutMs", connectTimeoutMs, 10_000, 1, 600_000);
  const idleMs = int("idleTimeoutMs", idleTimeoutMs, 60_000, 1, 86_400_000);
  const tls = createClientTlsConfig({ mode, source, authorizer, logger, now });
  const sessionManager = createSpiffeSessionManager(tls, source, url, connectMs, idleMs);
  const transport = make({ ...connect, baseUrl }, sessionManager);
  return {
    unary: (...args) => transport.unary(...args),
    stream: (...args) => transport.stream(...args),
    close: () => sessionManager.close(),
    [Symbol.dispose]: () => sessionManager.close(),
  };
}
