// What every runtime entry (@spiffe-ts/sdk/node, /bun, /deno) exports besides the root's
// names and its profile-bound functions, and the types of those functions (documented once
// here). Each entry does `export * from` this file, plus one explicit line for the names the
// root also has (getPeerIdentity, WorkloadApiClient and the sources), which takes precedence
// over both `export *`s; so the entries stay identical across runtimes and a new name is
// added here once, not in three export lists.
import type { ClientOptions, MtlsClient } from "../../http/mtls-client-types.ts";
import type { MtlsServer, ServeOptions } from "../../http/serve-mtls-types.ts";
import type { HttpsSpiffeProfile } from "../../federation/endpoint-profile.ts";
import type { HttpsSpiffeOptions } from "./https-spiffe.ts";
import type { SpiffeDispatcherLike, SpiffeDispatcherOptions } from "./spiffe-dispatcher.ts";

/**
 * `serveMtls(options)`: serves a Web `fetch` handler over SPIFFE TLS. By default mutual TLS
 * (mode `"mtls"`): each connection presents the source's current X.509-SVID (rotations
 * apply to new handshakes, no restart), requires a client certificate, and is verified once
 * right after the handshake, before any HTTP byte is read: `verifyX509Svid` against the
 * bundle of the client's own trust domain, then the authorizer. Refused connections are
 * closed and never reach the handler. Mode `"tls"` authenticates only the server (callers
 * send JWT-SVIDs, see `requireJwtSvid`); mode `"mtls-web"` presents a Web-PKI certificate
 * and still authenticates SPIFFE clients. While the workload has no usable SVID (the
 * Workload API denied it, or it expired unrotated), new handshakes fail with a TLS alert,
 * `/readyz` answers 503 and `onIdentityLost` is called once; the server resumes on the next
 * SVID. HTTP/1.1 and HTTP/2 are negotiated with ALPN.
 *
 * Exported (as `serveMtls`) from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export type ServeMtls = (options: ServeOptions) => Promise<MtlsServer>;

/**
 * `createMtlsClient(options)`: an HTTP client that speaks SPIFFE TLS (see `MtlsClient`). By
 * default mutual TLS (mode `"mtls"`: presents the workload's X.509-SVID, verifies the
 * server's X.509-SVID against the bundle of its trust domain, never its host name, and
 * authorizes its ID); mode `"tls"` presents no SVID (pair it with `jwtSvid`), mode
 * `"mtls-web"` checks a Web-PKI server. Connections negotiate HTTP/2 or HTTP/1.1 with ALPN:
 * an HTTP/2 server gets one multiplexed connection per origin; HTTP/1.1 connections are
 * pooled with keep-alive. While the workload has no usable SVID, new connections are refused
 * with the source's typed error; open ones go on.
 *
 * Exported (as `createMtlsClient`) from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export type CreateMtlsClient = (options: ClientOptions) => MtlsClient;

/**
 * `httpsSpiffe({ endpointId, bundleSource })`: the `https_spiffe` bundle endpoint profile
 * (SPIFFE Federation §5.2.2) for `fetchBundle`, `watchBundle` and `FederatedBundleSource`.
 * Each request opens a SPIFFE TLS connection in mode `"tls"` (nothing presented by us),
 * verifies the endpoint's X.509-SVID against the bundle source (never system roots or host
 * names) and accepts only `endpointId`; a mismatch fails with `FederationError`
 * `ERR_FEDERATION_ENDPOINT_ID_MISMATCH`, an untrusted certificate with
 * `ERR_FEDERATION_ENDPOINT_UNTRUSTED`. Redirects are followed only to servers that present the
 * same ID.
 *
 * Exported (as `httpsSpiffe`) from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` (option `"endpointId"` or `"bundleSource"`) for an invalid endpoint ID or bundle source.
 */
export type HttpsSpiffe = (options: HttpsSpiffeOptions) => HttpsSpiffeProfile;

/**
 * `createSpiffeDispatcher(options)`: an undici `Dispatcher` (an `Agent`) whose connections
 * are SPIFFE TLS, for `undici.request`, `undici.fetch` and, on Node, the global `fetch`
 * (`{ dispatcher }`). By default mutual TLS (mode `"mtls"`): every new connection presents
 * the source's current X.509-SVID, verifies the server's X.509-SVID against the source's
 * bundle for the server's trust domain (never its host name, never system roots) and
 * authorizes its SPIFFE ID before undici writes a byte to it. A rotation (of the client's
 * SVID, or a source update, which may change bundles) hands later requests to new
 * connections and closes the old ones once their requests in flight are done. HTTP/1.1, and
 * HTTP/2 with `allowH2: true`. The server's verified ID is read
 * from an `undici.request` result with `getPeerId(result)` (it travels in `result.context`);
 * a `fetch` `Response` cannot carry it (the authorizer has accepted the server before the
 * request was sent). `close()`/`destroy()` also stop following the source.
 *
 * undici is an optional peer dependency, and its types are not the SDK's: pass the module
 * as `undici` and the dispatcher is undici's `Agent` type (without it, the installed
 * `undici` is loaded and the type is `SpiffeDispatcherLike`). Runtimes: Node (also its global `fetch`) and Deno (use
 * undici's own `fetch`/`request`: Deno's global `fetch` ignores `dispatcher`, so a request
 * through it is not SPIFFE TLS and fails against a SPIFFE server). Bun replaces the
 * `undici` module with a built-in stand-in that never calls a custom `connect`: there it
 * throws `IntegrationError` `ERR_INTEGRATION_UNSUPPORTED_RUNTIME`.
 *
 * Exported (as `createSpiffeDispatcher`) from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @example undici.request and fetch on Node
 * ```ts
 * import * as undici from "undici";
 * import { authorizeId } from "@spiffe-ts/sdk";
 * import { createSpiffeDispatcher, getPeerId, X509Source } from "@spiffe-ts/sdk/node";
 * const { fetch, request } = undici;
 * const source = await X509Source.create();
 * const dispatcher = createSpiffeDispatcher({ undici, source, authorizer: authorizeId("spiffe://example.org/server"), allowH2: true });
 * const result = await request("https://server.internal:8443/api/hello", { dispatcher });
 * console.log(result.statusCode, getPeerId(result)?.toString(), await result.body.text());
 * console.log(await (await fetch("https://server.internal:8443/api/hello", { dispatcher })).text());
 * await dispatcher.close();
 * ```
 * @throws {IntegrationError} `ERR_INTEGRATION_PEER_DEPENDENCY_MISSING` without undici; `ERR_INTEGRATION_UNSUPPORTED_RUNTIME` on Bun.
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID now (`"mtls"`, `"mtls-web"`).
 */
export type CreateSpiffeDispatcher = <A extends SpiffeDispatcherLike = SpiffeDispatcherLike>(options: SpiffeDispatcherOptions<A>) => A;

export type {
  MtlsFetchHandler,
  MtlsRequestContext,
  MtlsServer,
  MtlsServerTimeouts,
  ServeMtlsOptions,
  ServeMtlsWebOptions,
  ServeOptions,
  ServeOptionsBase,
  ServeTlsOptions,
  TlsFetchHandler,
  TlsRequestContext,
} from "../../http/serve-mtls-types.ts";
export type {
  ClientModeOptions,
  ClientOptions,
  MtlsClient,
  MtlsClientBaseOptions,
  MtlsClientOptions,
  MtlsClientPoolOptions,
  MtlsModeOptions,
  MtlsRequestBody,
  MtlsRequestInit,
  MtlsWebClientOptions,
  MtlsWebModeOptions,
  TlsClientOptions,
  TlsModeOptions,
} from "../../http/mtls-client-types.ts";
export type { SpiffeTlsMode, WebCertificate, WebCertificateSource } from "../../http/tls-mode.ts";
export { attachSpiffe } from "./attach-spiffe.ts";
export type { AttachSpiffeOptions } from "./attach-spiffe.ts";
export { createServerTlsOptions } from "./server-tls-options.ts";
export type { ServerTlsOptionsInit, SpiffeServerTlsOptions } from "./server-tls-options.ts";
export { getPeerId, getPeerIdentity } from "./peer-of-message.ts";
export type { DispatcherResponse, PeerMessage } from "./peer-of-message.ts";
export { createSpiffeAgent } from "./spiffe-agent.ts";
export type { SpiffeAgent, SpiffeAgentOptions, SpiffeAgentPoolOptions } from "./spiffe-agent.ts";
export type { SpiffeDispatcherLike, SpiffeDispatcherOptions, SpiffeDispatcherPoolOptions, UndiciModule } from "./spiffe-dispatcher.ts";
export type { SpiffeMiddlewareOptions } from "./frameworks/check-caller.ts";
export type { SpiffeRequestFields } from "./frameworks/request-fields.ts";
export { spiffeExpress } from "./frameworks/spiffe-express.ts";
export type { SpiffeExpressMiddleware } from "./frameworks/spiffe-express.ts";
export { spiffeFastify } from "./frameworks/spiffe-fastify.ts";
export type { FastifyLike, SpiffeFastifyPlugin } from "./frameworks/spiffe-fastify.ts";
export { spiffeKoa } from "./frameworks/spiffe-koa.ts";
export type { KoaContextLike, SpiffeKoaMiddleware } from "./frameworks/spiffe-koa.ts";
export { connectMtls } from "./connect-mtls.ts";
export type { ConnectMtlsConnectionOptions, ConnectMtlsOptions } from "./connect-mtls.ts";
export { createServerTlsConfig } from "../../tls/server-tls.ts";
export type { PresentingServer, ServerTlsConfig, ServerTlsConfigInit, ServerTlsOptions } from "../../tls/server-tls.ts";
export { BundleSource, JwtSource, WorkloadApiClient, X509Source } from "./workload-api.ts";
export { createClientTlsConfig } from "../../tls/client-tls.ts";
export type { ClientConnectOptions, ClientTlsConfig, ClientTlsConfigInit } from "../../tls/client-tls.ts";
export type { TlsCredentials } from "../../tls/svid-credentials.ts";
// federation (https_spiffe profile)
export type { HttpsSpiffeOptions } from "./https-spiffe.ts";
// gRPC and Connect
export type { GrpcServerCall } from "./peer-of-message.ts";
export type { CreateSpiffeChannelCredentials, GrpcChannelCredentialsOf, SpiffeChannelCredentialsOptions } from "./grpc/channel-credentials.ts";
export { serveGrpcMtls } from "./grpc/serve-grpc-mtls.ts";
export type { GrpcMtlsServer, ServeGrpcMtlsOptions } from "./grpc/serve-grpc-mtls.ts";
export type { GrpcJsModule } from "./grpc/grpc-module.ts";
export { createSpiffeConnectTransport, createSpiffeGrpcTransport } from "./connect/spiffe-transport.ts";
export type { SpiffeConnectTransportOptions, SpiffeGrpcTransportOptions, SpiffeTransport, SpiffeTransportBaseOptions } from "./connect/spiffe-transport.ts";
export { createConnectFetchHandler, spiffeContextValues } from "./connect/connect-server.ts";
export type { ConnectFetchHandlerOptions } from "./connect/connect-server.ts";
