/**
 * `@spiffe-ts/sdk/bun`: everything of `@spiffe-ts/sdk`, plus what needs the runtime, for Bun: the
 * Workload API client and sources with their default transport (`WorkloadApiClient`,
 * `X509Source`, `JwtSource`, `BundleSource` connect to `SPIFFE_ENDPOINT_SOCKET` with no
 * argument), and the SPIFFE mTLS server and client.
 *
 * Same names and options as `@spiffe-ts/sdk/node` and `@spiffe-ts/sdk/deno`: code moves between
 * runtimes by changing this one import.
 *
 * Why this entry runs on Bun's `node:*` APIs: `Bun.serve` cannot expose the client certificate and does not rotate TLS on `reload`, and Bun's `fetch` shows `checkServerIdentity` only the leaf, so the SDK uses Bun's `node:tls`/`node:http2` implementation, which exposes the whole chain and supports `setSecureContext`.
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, serveMtls, X509Source } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * await serveMtls({ source, authorizer: authorizeMemberOf("example.org"), fetch: (req, { peer }) => new Response(`hi ${peer.id}`) });
 * ```
 *
 * @module
 */
import type { CreateMtlsClient, CreateSpiffeChannelCredentials, CreateSpiffeDispatcher, HttpsSpiffe, MtlsClient, MtlsServer, ServeMtls, SpiffeDispatcherLike, SpiffeDispatcherOptions } from "../shared/entry.ts";
import { createSpiffeChannelCredentialsWith } from "../shared/grpc/channel-credentials.ts";
import type { HttpsSpiffeProfile } from "../../federation/endpoint-profile.ts";
import type { GrpcChannelCredentialsOf, GrpcJsModule, SpiffeChannelCredentialsOptions } from "../shared/entry.ts";
import { createMtlsClientWith } from "../shared/mtls-client.ts";
import { httpsSpiffeWith } from "../shared/https-spiffe.ts";
import { serveMtlsWith } from "../shared/serve-mtls.ts";
import { createSpiffeDispatcherWith } from "../shared/spiffe-dispatcher.ts";
import { bunProfile } from "./profile.ts";

export * from "../../../mod.ts";
// The OpenTelemetry switch, also here so that a runtime entry alone is enough (the same function as the root's).
export { enableTelemetry } from "../../observability/enable-telemetry.ts";
export type { Telemetry, TelemetryOptions } from "../../observability/enable-telemetry.ts";

// Every runtime-bound name (documented once, in ../shared/entry.ts). The explicit line below
// wins over both `export *`s for the names the root also has: the runtime's versions default
// the Workload API transport and read peers from node:* sockets.
export * from "../shared/entry.ts";
export { BundleSource, getPeerIdentity, JwtSource, WorkloadApiClient, X509Source } from "../shared/entry.ts";

/**
 * Serves a Web `fetch` handler over SPIFFE mTLS (or TLS, or mTLS-web: `mode`), with
 * Bun's fixes (see {@link ServeMtls} for everything it does).
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, serveMtls, X509Source } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * const server = await serveMtls({ source, authorizer: authorizeMemberOf("example.org"), port: 8443, health: { port: 8080 }, fetch: (request, { peer }) => new Response(`hello ${peer.id}`) });
 * ```
 */
export const serveMtls: ServeMtls = (options): Promise<MtlsServer> => serveMtlsWith(bunProfile, options);

/**
 * Creates an HTTP client over SPIFFE mTLS (or TLS, or mTLS-web: `mode`), with
 * Bun's fixes (see {@link CreateMtlsClient} for everything it does).
 *
 * @example
 * ```ts
 * import { authorizeId, createMtlsClient, X509Source } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * const client = createMtlsClient({ source, authorizer: authorizeId("spiffe://example.org/server") });
 * console.log(await (await client.get("https://server.internal:8443/api/hello")).text());
 * await client.close();
 * ```
 */
export const createMtlsClient: CreateMtlsClient = (options): MtlsClient => createMtlsClientWith(bunProfile, options);

// federation (https_spiffe profile)

/**
 * The `https_spiffe` bundle endpoint profile for `fetchBundle`, `watchBundle` and
 * `FederatedBundleSource`, on Bun's TLS client (see {@link HttpsSpiffe}).
 *
 * @example
 * ```ts
 * import { fetchBundle, X509Bundle } from "@spiffe-ts/sdk";
 * import { httpsSpiffe } from "@spiffe-ts/sdk/bun";
 * const bootstrap = X509Bundle.parse("partner.example", partnerRootsPem);
 * const bundle = await fetchBundle("https://partner.example:8443", {
 *   trustDomain: "partner.example",
 *   profile: httpsSpiffe({ endpointId: "spiffe://partner.example/spire/server", bundleSource: bootstrap }),
 * });
 * ```
 */
export const httpsSpiffe: HttpsSpiffe = (options): HttpsSpiffeProfile => httpsSpiffeWith(bunProfile, options);

/**
 * `@grpc/grpc-js` channel credentials for SPIFFE mTLS, with Bun's fixes (see
 * {@link CreateSpiffeChannelCredentials} for everything they do).
 *
 * @example
 * ```ts
 * import * as grpc from "@grpc/grpc-js";
 * import { authorizeId } from "@spiffe-ts/sdk";
 * import { createSpiffeChannelCredentials, X509Source } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * const credentials = createSpiffeChannelCredentials(grpc, { source, authorizer: authorizeId("spiffe://example.org/greeter") });
 * const client = new grpc.Client("greeter.internal:50051", credentials);
 * ```
 */
export const createSpiffeChannelCredentials: CreateSpiffeChannelCredentials = <G extends GrpcJsModule>(grpc: G, options: SpiffeChannelCredentialsOptions): GrpcChannelCredentialsOf<G> => createSpiffeChannelCredentialsWith(bunProfile, grpc, options);

/**
 * Creates an undici `Dispatcher` over SPIFFE mTLS (or TLS, or mTLS-web: `mode`), with
 * Bun's fixes (see {@link CreateSpiffeDispatcher} for everything it does, and why Bun refuses it).
 *
 * @example
 * ```ts
 * import * as undici from "undici";
 * import { authorizeId } from "@spiffe-ts/sdk";
 * import { createSpiffeDispatcher, getPeerId, X509Source } from "@spiffe-ts/sdk/bun";
 * const source = await X509Source.create();
 * const dispatcher = createSpiffeDispatcher({ undici, source, authorizer: authorizeId("spiffe://example.org/server") });
 * const result = await undici.request("https://server.internal:8443/api/hello", { dispatcher });
 * console.log(getPeerId(result)?.toString(), await result.body.text());
 * ```
 */
export const createSpiffeDispatcher: CreateSpiffeDispatcher = <A extends SpiffeDispatcherLike = SpiffeDispatcherLike>(options: SpiffeDispatcherOptions<A>): A => createSpiffeDispatcherWith(bunProfile, options);
