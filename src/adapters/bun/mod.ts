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
export { createMtlsClient, serveMtls } from "../node/mod.ts";
export { attachSpiffe, connectMtls, createServerTlsOptions, getPeerId, getPeerIdentity } from "../node/mod.ts";
export type { AttachSpiffeOptions, ConnectMtlsOptions, PeerMessage, ServerTlsOptionsInit, SpiffeServerTlsOptions } from "../node/mod.ts";
export type {
  MtlsClient,
  MtlsClientOptions,
  MtlsClientPoolOptions,
  MtlsFetchHandler,
  MtlsRequestBody,
  MtlsRequestContext,
  MtlsRequestInit,
  MtlsServer,
  MtlsServerTimeouts,
  ServeMtlsOptions,
} from "../node/mod.ts";
