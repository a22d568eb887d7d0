// A Hono app served over SPIFFE mTLS: `serveMtls` does the TLS and verifies the client's
// X.509-SVID; a small Hono middleware puts the verified SPIFFE ID on the context.
// Same environment as examples/bun-server (SPIFFE_ENDPOINT_SOCKET, SERVER_ADDRESS,
// ALLOWED_CLIENT_ID, HEALTH_ADDRESS). Runs on Bun, Node.js (22.18+) and Deno.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { getSpiffeId, type SpiffeId } from "../../mod.ts"; // "@spiffe-ts/sdk"
import { serveMtls } from "../../src/adapters/bun/mod.ts"; // "@spiffe-ts/sdk/bun" (or /node, /deno: the same)
import { runServer } from "../shared/app.ts";

/** Puts the caller's verified SPIFFE ID on `c.var.spiffeId`; 401 when there is none. */
const spiffeIdentity = createMiddleware<{ Variables: { spiffeId: SpiffeId } }>(async (c, next) => {
  const id = getSpiffeId(c.req.raw); // from the verified peer certificate, never from a header
  if (!id) return c.json({ error: "unauthenticated" }, 401);
  c.set("spiffeId", id);
  await next();
});

/** Allows only callers whose SPIFFE ID path starts with `prefix` (authorization is the app's). */
const requirePathPrefix = (prefix: string) =>
  createMiddleware<{ Variables: { spiffeId: SpiffeId } }>(async (c, next) => {
    if (!c.var.spiffeId.hasPathPrefix(prefix)) return c.json({ error: "forbidden" }, 403);
    await next();
  });

export const app = new Hono<{ Variables: { spiffeId: SpiffeId } }>()
  .use(spiffeIdentity)
  .get("/api/hello", (c) => c.text(`Hello, ${c.var.spiffeId}!`))
  .post("/api/echo", async (c) => c.json({ echo: await c.req.text(), caller: c.var.spiffeId.toString() }))
  .get("/api/identity", (c) => {
    const id = c.var.spiffeId;
    return c.json({ spiffeId: id.toString(), trustDomain: id.trustDomain.name, path: id.path });
  })
  .get("/api/admin/*", requirePathPrefix("/admin"), (c) => c.text("admin area"))
  .notFound((c) => c.json({ error: "not found" }, 404));

// serveMtls calls fetch(request, { peer }); Hono only needs the request.
await runServer(serveMtls, (request) => app.fetch(request));
