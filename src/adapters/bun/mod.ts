/**
 * `@spiffe-ts/sdk/bun`: SPIFFE mTLS server and client for Bun.
 *
 * Same names and options as `@spiffe-ts/sdk/node` and `@spiffe-ts/sdk/deno`: code moves between
 * runtimes by changing this one import.
 *
 * Why this entry runs on Bun's `node:*` APIs: `Bun.serve` cannot expose the client certificate and does not rotate TLS on `reload`, and Bun's `fetch` shows `checkServerIdentity` only the leaf, so the SDK uses Bun's `node:tls`/`node:http2` implementation, which exposes the whole chain and supports `setSecureContext`.
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, X509Source } from "@spiffe-ts/sdk";
 * import { serveMtls } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * await serveMtls({ source, authorizer: authorizeMemberOf("example.org"), fetch: (req, { peer }) => new Response(`hi ${peer.id}`) });
 * ```
 *
 * @module
 */
import type { ClientOptions, MtlsClient } from "../../http/mtls-client-types.ts";
import type { MtlsServer, ServeOptions } from "../../http/serve-mtls-types.ts";
import { createMtlsClientWith } from "../shared/mtls-client.ts";
import { serveMtlsWith } from "../shared/serve-mtls.ts";
import { bunProfile } from "./profile.ts";

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
  ClientOptions,
  MtlsClient,
  MtlsClientBaseOptions,
  MtlsClientOptions,
  MtlsClientPoolOptions,
  MtlsRequestBody,
  MtlsRequestInit,
  MtlsWebClientOptions,
  TlsClientOptions,
} from "../../http/mtls-client-types.ts";
export type { SpiffeTlsMode, WebCertificate, WebCertificateSource } from "../../http/tls-mode.ts";
export { attachSpiffe } from "../shared/attach-spiffe.ts";
export type { AttachSpiffeOptions } from "../shared/attach-spiffe.ts";
export { createServerTlsOptions } from "../shared/server-tls-options.ts";
export type { ServerTlsOptionsInit, SpiffeServerTlsOptions } from "../shared/server-tls-options.ts";
export { getPeerId, getPeerIdentity } from "../shared/peer-of-message.ts";
export type { PeerMessage } from "../shared/peer-of-message.ts";
export { connectMtls } from "../shared/connect-mtls.ts";
export type { ConnectMtlsOptions } from "../shared/connect-mtls.ts";
export { createServerTlsConfig } from "../../tls/server-tls.ts";
export type { PresentingServer, ServerTlsConfig, ServerTlsConfigInit, ServerTlsOptions } from "../../tls/server-tls.ts";
export { createClientTlsConfig } from "../../tls/client-tls.ts";
export type { ClientConnectOptions, ClientTlsConfig, ClientTlsConfigInit } from "../../tls/client-tls.ts";

/**
 * Serves a Web `fetch` handler over SPIFFE TLS: by default mutual TLS (mode `"mtls"`), where
 * each connection presents the source's current X.509-SVID (rotations apply to new
 * handshakes, no restart), requires a client certificate, and is verified once right after
 * the handshake, before any HTTP byte is read: `verifyX509Svid` against the bundle of the
 * client's own trust domain, then the authorizer. Refused connections are closed and never
 * reach the handler. Mode `"tls"` authenticates only the server (callers send JWT-SVIDs,
 * see `requireJwtSvid`); mode `"mtls-web"` presents a Web-PKI certificate and still
 * authenticates SPIFFE clients. While the workload has no usable SVID (the Workload API
 * denied it, or it expired unrotated), new handshakes fail with a TLS alert, `/readyz`
 * answers 503 and `onIdentityLost` is called once; the server resumes on the next SVID.
 * HTTP/1.1 and HTTP/2 are negotiated with ALPN.
 *
 * Exported from `@spiffe-ts/sdk/bun` (the same on `/node`, `/bun` and `/deno`).
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, X509Source } from "@spiffe-ts/sdk";
 * import { serveMtls } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * const server = await serveMtls({
 *   source,
 *   authorizer: authorizeMemberOf("example.org"),
 *   port: 8443,
 *   health: { port: 8080 },
 *   fetch: (request, { peer }) => new Response(`hello ${peer.id}`),
 * });
 * ```
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export function serveMtls(options: ServeOptions): Promise<MtlsServer> {
  return serveMtlsWith(bunProfile, options);
}

/**
 * Creates an HTTP client that speaks SPIFFE TLS (see `MtlsClient`): by default mutual TLS
 * (mode `"mtls"`: presents the workload's X.509-SVID, verifies the server's X.509-SVID
 * against the bundle of its trust domain, never its host name, and authorizes its ID);
 * mode `"tls"` presents no SVID (pair it with `jwtSvid`), mode `"mtls-web"` checks a
 * Web-PKI server. Connections negotiate HTTP/2 or HTTP/1.1 with ALPN: an HTTP/2 server gets
 * one multiplexed connection per origin; HTTP/1.1 connections are pooled with keep-alive.
 * While the workload has no usable SVID, new connections are refused with the source's
 * typed error; open ones go on.
 *
 * Exported from `@spiffe-ts/sdk/bun` (the same on `/node`, `/bun` and `/deno`).
 *
 * @example
 * ```ts
 * import { authorizeId, X509Source } from "@spiffe-ts/sdk";
 * import { createMtlsClient } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * const client = createMtlsClient({ source, authorizer: authorizeId("spiffe://example.org/server") });
 * const response = await client.get("https://server.internal:8443/api/hello");
 * console.log(await response.text());
 * await client.close();
 * ```
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export function createMtlsClient(options: ClientOptions): MtlsClient {
  return createMtlsClientWith(bunProfile, options);
}
