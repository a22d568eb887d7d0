// A Hono app served over SPIFFE mTLS: `serveMtls` does the TLS and verifies the client's
// X.509-SVID before Hono sees a request; a small Hono middleware puts the verified identity on
// the context. `npx bun examples/hono/server.ts` here (see README.md beside this file); runs on
// Bun, Node.js (22.18+) and Deno.
//
// Environment (read by ../shared/config.ts): SPIFFE_ENDPOINT_SOCKET, SERVER_ADDRESS,
// ALLOWED_CLIENT_ID, HEALTH_ADDRESS, LOG_LEVEL, as in ../bun-server/server.ts.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { X509Certificate } from "node:crypto";
import { authorizeId, authorizeMemberOf, logIdentity, type PeerIdentity } from "@spiffe-ts/sdk";
import { getPeerIdentity, type MtlsServer, serveMtls, X509Source } from "@spiffe-ts/sdk/bun"; // or /node, /deno: the same API
import { exitWith, jsonLogger, onShutdown, readServerConfig } from "../shared/config.ts";

type Env = { Variables: { peer: PeerIdentity } };

/** Puts the caller's verified identity on `c.var.peer`; 401 when there is none. */
const spiffeIdentity = createMiddleware<Env>(async (c, next) => {
  const peer = getPeerIdentity(c.req.raw); // from the verified peer certificate, never from a header
  if (!peer) return c.json({ error: "unauthenticated" }, 401);
  c.set("peer", peer);
  await next();
});

/** Allows only callers whose SPIFFE ID path starts with `prefix` (authorization is the app's). */
const requirePathPrefix = (prefix: string) =>
  createMiddleware<Env>(async (c, next) => {
    if (!c.var.peer.id.hasPathPrefix(prefix)) return c.json({ error: "forbidden" }, 403);
    await next();
  });

const app = new Hono<Env>()
  .use(spiffeIdentity)
  .get("/api/hello", (c) => c.text(`Hello, ${c.var.peer.id}!`))
  .get("/api/echo", (c) => {
    const url = new URL(c.req.url); // the request as the server saw it
    return c.json({ method: c.req.method, path: url.pathname, query: c.req.query(), headers: c.req.header(), caller: c.var.peer.id.toString() });
  })
  .post("/api/echo", async (c) => c.json({ echo: await c.req.text(), caller: c.var.peer.id.toString() }))
  .get("/api/identity", (c) => {
    const { id, certificates } = c.var.peer;
    const leaf = new X509Certificate(certificates[0]!); // the caller's X.509-SVID, verified
    return c.json({ spiffeId: id.toString(), trustDomain: id.trustDomain.name, path: id.path, expiresAt: new Date(leaf.validTo).toISOString() });
  })
  .get("/api/admin/*", requirePathPrefix("/admin"), (c) => c.text("admin area"))
  .notFound((c) => c.json({ error: "not found" }, 404));

const config = readServerConfig();
let source: X509Source;
let server: MtlsServer;
try {
  const allowOne = config.allowedClientId ? authorizeId(config.allowedClientId) : undefined; // an invalid ID fails here, before connecting
  source = await X509Source.create({ timeoutMs: 60_000, logger: jsonLogger }); // waits for the first SVID
  const own = source.getX509Svid().id;
  server = await serveMtls({
    source,
    authorizer: allowOne ?? authorizeMemberOf(own.trustDomain), // who may connect
    ...config.address,
    ...(config.health ? { health: config.health } : {}),
    logger: jsonLogger,
    fetch: logIdentity(jsonLogger)((request) => app.fetch(request)), // serveMtls passes (request, { peer }); Hono needs the request
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
