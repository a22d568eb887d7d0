// Frameworks such as Hono receive the plain Web `Request` from `serveMtls` (`fetch: app.fetch`)
// and hand it to handlers as `c.req.raw`: `getSpiffeId` must work there, with no framework
// dependency here: a minimal Hono-like router stands in for one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authorizeId, authorizeMemberOf, getSpiffeId, requireSpiffeId } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { createPki, type Pki, sourceFor } from "./mtls-fixtures.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
const { createMtlsClient, serveMtls } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";

interface Context {
  req: { raw: Request; path: string };
  json(value: unknown, status?: number): Response;
}
type Handler = (c: Context) => Response | Promise<Response>;

/** A Hono-shaped app: routes by path, wraps the request in a context, `app.fetch(request, env)`. */
function honoLikeApp(routes: Record<string, Handler>, options: { copyRequest?: boolean } = {}) {
  return {
    fetch(request: Request, _env?: unknown): Promise<Response> | Response {
      const raw = options.copyRequest ? new Request(request) : request;
      const c: Context = { req: { raw, path: new URL(raw.url).pathname }, json: (value, status = 200) => Response.json(value, { status }) };
      const route = routes[c.req.path];
      return route ? route(c) : c.json({ error: "not found" }, 404);
    },
  };
}

let pki: Pki;
let server: MtlsServer;
let copyingServer: MtlsServer;

beforeAll(async () => {
  pki = await createPki();
  const routes: Record<string, Handler> = {
    "/whoami": (c) => c.json({ id: getSpiffeId(c.req.raw)?.toString() ?? null }),
    "/strict": (c) => c.json({ id: requireSpiffeId(c.req.raw).toString() }),
  };
  const app = honoLikeApp(routes);
  const common = { authorizer: authorizeMemberOf("example.org"), port: 0, hostname: "127.0.0.1" } as const;
  server = await serveMtls({ ...common, source: await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), fetch: (request) => app.fetch(request, {}) });
  const copying = honoLikeApp(routes, { copyRequest: true });
  copyingServer = await serveMtls({ ...common, source: await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), fetch: (request) => copying.fetch(request) });
});

afterAll(async () => {
  await server?.close();
  await copyingServer?.close();
});

describe("a Hono-like framework behind serveMtls", () => {
  test("a handler reads the caller's verified ID from the raw Request", async () => {
    const client = createMtlsClient({ source: await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]), authorizer: authorizeId(SERVER_ID) });
    expect(await (await client.get(new URL("/whoami", server.url))).json()).toEqual({ id: CLIENT_ID });
    expect(await (await client.get(new URL("/strict", server.url))).json()).toEqual({ id: CLIENT_ID });
    await client.close();
  });

  test("a framework that copies the Request loses the identity: it reads as none, never as someone else's", async () => {
    const client = createMtlsClient({ source: await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]), authorizer: authorizeId(SERVER_ID) });
    expect(await (await client.get(new URL("/whoami", copyingServer.url))).json()).toEqual({ id: null });
    expect((await client.get(new URL("/strict", copyingServer.url))).status).toBe(500); // requireSpiffeId threw
    await client.close();
  });
});
