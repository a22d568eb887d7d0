/**
 * `@spiffe-ts/sdk/deno`: SPIFFE mTLS server and client for Deno.
 *
 * Same names and options as `@spiffe-ts/sdk/node` and `@spiffe-ts/sdk/bun`: code moves between
 * runtimes by changing this one import.
 *
 * Why this entry runs on Deno's `node:*` APIs: `Deno.serve`/`Deno.listenTls` never request a client certificate and cannot expose one, and `Deno.createHttpClient` cannot skip hostname checks for URI-SAN-only certificates, so the SDK uses Deno's `node:tls`/`node:http2` implementation. Run with `--allow-net` (listening and connecting) plus the Workload API permissions (`--allow-read --allow-write=<socket> --allow-net=unix:<socket> --allow-env=SPIFFE_ENDPOINT_SOCKET`).
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, X509Source } from "@spiffe-ts/sdk";
 * import { serveMtls } from "@spiffe-ts/sdk/deno";
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
