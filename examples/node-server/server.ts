// The example mTLS server on Node.js: `npx node examples/node-server/server.ts` here (the
// project's Node 24; see README.md beside this file), `node server.ts` in your own project
// (Node 22.18+ runs TypeScript). Every connection is mutual TLS with
// the server's X.509-SVID; the client's SVID is verified and authorized before any route runs.
//
// Environment (read by ../shared/config.ts):
//   SPIFFE_ENDPOINT_SOCKET  Workload API address (unix:///… or tcp://IP:port)
//   SERVER_ADDRESS          mTLS listen address, host:port (default 0.0.0.0:8443; port 0 = any free port)
//   ALLOWED_CLIENT_ID       the one client SPIFFE ID allowed; empty = any ID of the server's own trust domain
//   HEALTH_ADDRESS          plain-HTTP /healthz and /readyz for probes, host:port (default 0.0.0.0:8080; "off" = none)
//   LOG_LEVEL               "debug" also logs refused handshakes
import { X509Certificate } from "node:crypto";
import { authorizeId, authorizeMemberOf, composeMiddleware, logIdentity, requireAuthentication } from "@spiffe-ts/sdk";
import { type MtlsFetchHandler, type MtlsServer, serveMtls, X509Source } from "@spiffe-ts/sdk/node"; // /bun and /deno export the same API
import { exitWith, jsonLogger, onShutdown, readServerConfig } from "../shared/config.ts";

const ROUTES = ["/api/hello", "/api/echo", "/api/identity"];

/**
 * The routes. The caller is `peer`: the identity from its verified client certificate,
 * never from a header (an `X-SPIFFE-ID` header changes nothing here).
 */
const routes: MtlsFetchHandler = async (request, { peer }) => {
  const url = new URL(request.url);
  const caller = peer.id.toString();
  switch (`${request.method} ${url.pathname}`) {
    case "GET /api/hello":
      return new Response(`Hello, ${caller}!`);
    case "GET /api/echo": // the request as the server saw it
      return Response.json({ method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: Object.fromEntries(request.headers), caller });
    case "POST /api/echo":
      return Response.json({ echo: await request.text(), caller });
    case "GET /api/identity": {
      const leaf = new X509Certificate(peer.certificates[0]!); // the caller's X.509-SVID, verified
      return Response.json({ spiffeId: caller, trustDomain: peer.id.trustDomain.name, path: peer.id.path, expiresAt: new Date(leaf.validTo).toISOString() });
    }
  }
  const known = ROUTES.includes(url.pathname);
  return Response.json({ error: known ? "method not allowed" : "not found" }, { status: known ? 405 : 404 });
};

const config = readServerConfig();
let source: X509Source;
let server: MtlsServer;
try {
  const allowOne = config.allowedClientId ? authorizeId(config.allowedClientId) : undefined; // an invalid ID fails here, before connecting
  // Waits for the first SVID; SPIFFE_ENDPOINT_SOCKET is read (and checked) here.
  source = await X509Source.create({ timeoutMs: 60_000, logger: jsonLogger });
  const own = source.getX509Svid().id;
  server = await serveMtls({
    source,
    authorizer: allowOne ?? authorizeMemberOf(own.trustDomain), // who may connect
    ...config.address,
    ...(config.health ? { health: config.health } : {}),
    logger: jsonLogger,
    fetch: composeMiddleware(logIdentity(jsonLogger), requireAuthentication())(routes),
  });
  if (server.healthUrl) console.log(`health on ${server.healthUrl} (/healthz, /readyz)`);
  console.log(`listening on ${server.url} as ${own}, allowing ${config.allowedClientId ?? `any ID of ${own.trustDomain.idString()}`}`);
} catch (err) {
  exitWith(err);
}
onShutdown(async () => {
  await server.close({ timeoutMs: 10_000 }); // in-flight requests finish first
  await source.close();
});
