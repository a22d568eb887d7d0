/**
 * `@spiffe-ts/sdk/node`: SPIFFE mTLS server and client for Node.js (20+).
 *
 * Built on `node:tls`, `node:http` and `node:http2`, which expose the peer's certificate
 * chain so that the SDK's core can verify it as an X.509-SVID.
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, X509Source } from "@spiffe-ts/sdk";
 * import { serveMtls } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * await serveMtls({ source, authorizer: authorizeMemberOf("example.org"), fetch: (req, { peer }) => new Response(`hi ${peer.id}`) });
 * ```
 *
 * @module
 */
export { serveMtls } from "./serve-mtls.ts";
export { createMtlsClient } from "./mtls-client.ts";
export type { MtlsFetchHandler, MtlsRequestContext, MtlsServer, MtlsServerTimeouts, ServeMtlsOptions } from "../../http/serve-mtls-types.ts";
export type { MtlsClient, MtlsClientOptions, MtlsClientPoolOptions, MtlsRequestBody, MtlsRequestInit } from "../../http/mtls-client-types.ts";
export { attachSpiffe } from "./attach-spiffe.ts";
export type { AttachSpiffeOptions } from "./attach-spiffe.ts";
export { createServerTlsOptions } from "./server-tls-options.ts";
export type { ServerTlsOptionsInit, SpiffeServerTlsOptions } from "./server-tls-options.ts";
export { getPeerId, getPeerIdentity } from "./peer-of-message.ts";
export type { PeerMessage } from "./peer-of-message.ts";
export { connectMtls } from "./connect-mtls.ts";
export type { ConnectMtlsOptions } from "./connect-mtls.ts";
