// SPIFFE TLS one way (mode "tls", go-spiffe's TLSServerConfig): the server presents its
// X.509-SVID and asks callers for no certificate; they prove who they are with a JWT-SVID
// bearer token, checked by requireJwtSvid. Runs on Bun, Node.js (22.18+) and Deno (see README.md).
//
// Environment:
//   SPIFFE_ENDPOINT_SOCKET  Workload API address (unix:///… or tcp://IP:port)
//   SERVER_ADDRESS          TLS listen address, host:port (default 0.0.0.0:8443; port 0 = any free port)
//   AUDIENCE                the audience tokens must name; default: the server's own SPIFFE ID
//   ALLOWED_CLIENT_ID       the one caller allowed; empty = any ID of the server's trust domain
//   HEALTH_ADDRESS          plain-HTTP /healthz and /readyz, host:port (default 0.0.0.0:8080; "off" = none)
import { authorizeId, authorizeMemberOf, composeMiddleware, logIdentity, requireAuthorized, requireJwtSvid } from "@spiffe-ts/sdk";
import { getPeerIdentity, JwtSource, type MtlsServer, serveMtls, X509Source } from "@spiffe-ts/sdk/node"; // or /bun, /deno: the same API
import { env, exitWith, jsonLogger, listenAddress, onShutdown } from "../shared/config.ts";

const address = listenAddress("SERVER_ADDRESS", "0.0.0.0:8443");
const health = env("HEALTH_ADDRESS") === "off" ? undefined : listenAddress("HEALTH_ADDRESS", "0.0.0.0:8080");
const allowed = env("ALLOWED_CLIENT_ID");

let x509: X509Source;
let jwt: JwtSource;
let server: MtlsServer;
try {
  const allowOne = allowed ? authorizeId(allowed) : undefined; // an invalid ID fails here, before connecting
  x509 = await X509Source.create({ timeoutMs: 60_000, logger: jsonLogger }); // the SVID the server presents
  jwt = await JwtSource.create({ timeoutMs: 60_000 }); // the JWT bundles tokens are validated with
  const own = x509.getX509Svid().id;
  const audience = env("AUDIENCE") ?? own.toString();
  server = await serveMtls({
    mode: "tls", // no client certificate: the caller is whoever the JWT-SVID says
    source: x509,
    ...address,
    ...(health ? { health } : {}),
    logger: jsonLogger,
    fetch: composeMiddleware(
      requireJwtSvid({ source: jwt, audience, logger: jsonLogger }), // 401 without a valid token
      logIdentity(jsonLogger),
      requireAuthorized(allowOne ?? authorizeMemberOf(own.trustDomain)), // 403 for other callers
    )((request) => {
      const caller = getPeerIdentity(request)!; // set by requireJwtSvid; mechanism "jwt-svid"
      if (new URL(request.url).pathname !== "/api/hello") return Response.json({ error: "not found" }, { status: 404 });
      return new Response(`Hello, ${caller.id}! (authenticated by ${caller.mechanism})`);
    }),
  });
  if (server.healthUrl) console.log(`health on ${server.healthUrl} (/healthz, /readyz)`);
  console.log(`listening on ${server.url} as ${own} (TLS, no client certificate), accepting JWT-SVIDs for ${audience} from ${allowed ?? `any ID of ${own.trustDomain.idString()}`}`);
} catch (err) {
  exitWith(err);
}
onShutdown(async () => {
  await server.close({ timeoutMs: 10_000 });
  await jwt.close();
  await x509.close();
});
