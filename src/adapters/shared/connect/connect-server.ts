// Connect-ES services over SPIFFE mTLS: the caller's verified identity in the handler
// context, either from a Node request of a server with attachSpiffe (connectNodeAdapter)
// or from serveMtls's Web request (createConnectFetchHandler).
import { type ConnectRouter, type ConnectRouterOptions, type ContextValues, createConnectRouter, createContextValues } from "@connectrpc/connect";
import { universalServerRequestFromFetch, universalServerResponseToFetch } from "@connectrpc/connect/protocol";
import { ConfigError } from "../../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";
import { bindPeerIdentity, type PeerIdentity } from "../../../http/peer-identity.ts";
import { getPeerIdentity, type PeerMessage } from "../peer-of-message.ts";

/**
 * `contextValues` for Connect's `connectNodeAdapter` on a server with `attachSpiffe`: each
 * call's context carries the caller's verified identity, read in handlers with
 * `getPeerId(context)` / `getPeerIdentity(context)`. Speaks gRPC, gRPC-Web and Connect.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import { connectNodeAdapter } from "@connectrpc/connect-node";
 * import { createSecureServer } from "node:http2";
 * import { attachSpiffe, authorizeMemberOf, createServerTlsOptions, getPeerId, spiffeContextValues, X509Source } from "@spiffe-ts/sdk/node";
 * import { GreeterService } from "./gen/greeter_pb.ts";
 * const source = await X509Source.create();
 * const tls = createServerTlsOptions(source, authorizeMemberOf("example.org"), { ALPNProtocols: ["h2"] });
 * const handler = connectNodeAdapter({
 *   routes: (router) => router.service(GreeterService, { greet: (req, context) => ({ greeting: `hello ${getPeerId(context)}` }) }),
 *   contextValues: spiffeContextValues,
 * });
 * attachSpiffe(createSecureServer(tls, handler), tls).listen(8443);
 * ```
 */
export function spiffeContextValues(request: PeerMessage): ContextValues {
  return contextValuesOf(getPeerIdentity(request));
}

function contextValuesOf(peer: PeerIdentity | undefined): ContextValues {
  const values = createContextValues();
  if (peer) bindPeerIdentity(values, peer);
  return values;
}

/**
 * Options of {@link createConnectFetchHandler}: Connect's router options; `grpc` is off and
 * cannot be turned on (a Web `Response` has no HTTP trailers, which gRPC needs).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type ConnectFetchHandlerOptions = Omit<ConnectRouterOptions, "grpc"> & { readonly grpc?: false };

/**
 * A Web `fetch` handler for `serveMtls` that serves Connect services (Connect and gRPC-Web
 * protocols) with the caller's verified identity in each call's context
 * (`getPeerId(context)`). Clients: `createSpiffeConnectTransport`. For the gRPC protocol, serve
 * with `connectNodeAdapter` and {@link spiffeContextValues} on `attachSpiffe`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, createConnectFetchHandler, getPeerId, serveMtls, X509Source } from "@spiffe-ts/sdk/node";
 * import { GreeterService } from "./gen/greeter_pb.ts";
 * const source = await X509Source.create();
 * const fetch = createConnectFetchHandler((router) => router.service(GreeterService, { greet: (req, context) => ({ greeting: `hello ${getPeerId(context)}` }) }));
 * await serveMtls({ source, authorizer: authorizeMemberOf("example.org"), port: 8443, fetch });
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"routes"`) when `routes` is not a function.
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` (option `"grpc"`) when `grpc: true` is asked for.
 */
export function createConnectFetchHandler(
  routes: (router: ConnectRouter) => void,
  options: ConnectFetchHandlerOptions = {},
): (request: Request, context: { readonly peer: PeerIdentity | undefined }) => Promise<Response> {
  if (typeof routes !== "function") throw new InvalidArgumentError("routes", `createConnectFetchHandler: routes must be a function that registers services: (router) => router.service(...), got ${describeType(routes)}`);
  if ((options as { grpc?: unknown }).grpc === true) {
    throw new ConfigError("grpc", "serveMtls hands the handler Web Responses, which carry no HTTP trailers: serve gRPC with connectNodeAdapter({ routes, contextValues: spiffeContextValues }) on attachSpiffe");
  }
  const router = createConnectRouter({ ...options, grpc: false });
  routes(router);
  const byPath = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return async (request, { peer }) => {
    const handler = byPath.get(new URL(request.url).pathname);
    if (!handler) return new Response(null, { status: 404 });
    const universal = universalServerRequestFromFetch(request, {});
    return universalServerResponseToFetch(await handler({ ...universal, contextValues: contextValuesOf(peer) }));
  };
}
