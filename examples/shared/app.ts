// The example server shared by examples/{bun,node,deno}-server: the same program on every
// runtime, which only passes in its runtime's `serveMtls`.
//
// Environment:
//   SPIFFE_ENDPOINT_SOCKET  Workload API address (unix:///… or tcp://IP:port)
//   SERVER_ADDRESS          mTLS listen address, host:port (default 0.0.0.0:8443; port 0 = any free port)
//   ALLOWED_CLIENT_ID       the one client SPIFFE ID allowed; empty = any ID of the server's own trust domain
//   HEALTH_ADDRESS          plain-HTTP /healthz and /readyz for probes, host:port (default 0.0.0.0:8080; "off" = none)
import {
  type Authorizer,
  authorizeId,
  authorizeMemberOf,
  composeMiddleware,
  logIdentity,
  type MtlsFetchHandler,
  type MtlsServer,
  requireAuthentication,
  requireSpiffeId,
  type ServeMtlsOptions,
} from "../../mod.ts"; // "@spiffe-ts/sdk"
import { env, exitWith, jsonLogger, listenAddress, onShutdown } from "./config.ts";
import { X509Source } from "../../src/adapters/node/mod.ts"; // "@spiffe-ts/sdk/node" (or /bun, /deno)

/** `serveMtls` of any runtime entry (`@spiffe-ts/sdk/bun`, `/node` or `/deno`): they are interchangeable. */
export type ServeMtls = (options: ServeMtlsOptions) => Promise<MtlsServer>;

/**
 * The routes. The caller's identity comes from the verified client certificate only
 * (`requireSpiffeId(request)` or `peer.id`), never from a header.
 */
export const routes: MtlsFetchHandler = async (request, { peer }) => {
  const { pathname } = new URL(request.url);
  const route = `${request.method} ${pathname}`;
  if (route === "GET /api/hello") return new Response(`Hello, ${peer.id}!`);
  if (route === "POST /api/echo") return Response.json({ echo: await request.text(), caller: peer.id.toString() });
  if (route === "GET /api/identity") {
    const id = requireSpiffeId(request); // the same identity as peer.id, for code that only has the Request
    return Response.json({ spiffeId: id.toString(), trustDomain: id.trustDomain.name, path: id.path });
  }
  const known = ["/api/hello", "/api/echo", "/api/identity"].includes(pathname);
  return Response.json({ error: known ? "method not allowed" : "not found" }, { status: known ? 405 : 404 });
};

/** Reads the environment, connects to the Workload API, serves until SIGTERM/SIGINT. */
export async function runServer(serveMtls: ServeMtls, handler: MtlsFetchHandler = routes): Promise<MtlsServer> {
  const address = listenAddress("SERVER_ADDRESS", "0.0.0.0:8443");
  const health = env("HEALTH_ADDRESS") === "off" ? undefined : listenAddress("HEALTH_ADDRESS", "0.0.0.0:8080");
  const allowed = env("ALLOWED_CLIENT_ID");

  let source: X509Source;
  let server: MtlsServer;
  try {
    const allowOne = allowed ? authorizeId(allowed) : undefined; // an invalid ID fails here, before connecting
    // Waits for the first SVID; SPIFFE_ENDPOINT_SOCKET is read (and checked) here.
    source = await X509Source.create({ timeoutMs: 60_000, logger: jsonLogger });
    const own = source.getX509Svid().id;
    const authorizer: Authorizer = allowOne ?? authorizeMemberOf(own.trustDomain);
    server = await serveMtls({
      source,
      authorizer,
      ...address,
      ...(health ? { health } : {}),
      logger: jsonLogger,
      fetch: composeMiddleware(logIdentity(jsonLogger), requireAuthentication())(handler),
    });
    if (server.healthUrl) console.log(`health on ${server.healthUrl} (/healthz, /readyz)`);
    console.log(`listening on ${server.url} as ${own}, allowing ${allowed ?? `any ID of ${own.trustDomain.idString()}`}`);
  } catch (err) {
    exitWith(err);
  }
  onShutdown(async () => {
    await server.close({ timeoutMs: 10_000 }); // in-flight requests finish first
    await source.close();
  });
  return server;
}
