// spiffeExpress, spiffeFastify and spiffeKoa on real Express 5, Fastify 5 and Koa 3 servers made
// SPIFFE servers with attachSpiffe, on the runtime running the test: the handler reads the
// caller's verified ID from the request, the optional authorizer answers 403, a server without
// attachSpiffe answers 401, refused clients never reach a handler, and a rotated client SVID
// shows on its next connection.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createSecureServer } from "node:http2";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import express from "express";
import Fastify from "fastify";
import Koa from "koa";
import { authorizeId, authorizeMemberOf, ConfigError, type SpiffeId } from "../../mod.ts";
import {
  attachSpiffe,
  createServerTlsOptions,
  createSpiffeAgent,
  type SpiffeRequestFields,
  type SpiffeServerTlsOptions,
  spiffeExpress,
  spiffeFastify,
  spiffeKoa,
} from "../../src/adapters/node/mod.ts";
import type { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtime } from "../support/runtime-entry.ts";
import { createPki, type Pki, sourceFor, svidFor } from "./mtls-fixtures.ts";
import { sdkErrorIn } from "./integration-server.ts";

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";
const CLIENT2_ID = "spiffe://example.org/client2";
const onlyClient = authorizeId(CLIENT_ID); // the /admin routes' authorizer

interface Running {
  url: string;
  close(): Promise<void>;
}

function listening(server: TlsServer | ReturnType<typeof createSecureServer>): Promise<Running> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
        close: () => new Promise<void>((done) => {
          const timer = setTimeout(done, 1000);
          server.close(() => {
            clearTimeout(timer);
            done();
          });
        }),
      }),
    );
  });
}

const idOf = (v: { spiffeId?: SpiffeId } | undefined): string | null => v?.spiffeId?.toString() ?? null;

/** Each framework: an app with GET /whoami (any caller) and GET /admin (only CLIENT_ID), served over `options`, with or without attachSpiffe. */
const frameworks: Record<string, (options: SpiffeServerTlsOptions, attach: boolean) => Promise<Running>> = {
  async express(options, attach) {
    const app = express();
    app.use(spiffeExpress());
    app.use("/admin", spiffeExpress({ authorizer: onlyClient }));
    app.get(["/whoami", "/admin"], (req, res) => {
      res.json({ caller: idOf(req as { spiffeId?: SpiffeId }) });
    });
    if (runtime === "bun") {
      // Bun's node:https server exposes no client certificate (attachSpiffe refuses it): TLS server → HTTP server.
      const http = createHttpServer(app);
      const tls = createTlsServer(options, (socket) => http.emit("connection", socket));
      if (attach) attachSpiffe(tls, options);
      return listening(tls);
    }
    const server = createHttpsServer(options, app);
    if (attach) attachSpiffe(server, options);
    return listening(server);
  },
  async fastify(options, attach) {
    const app = Fastify({ http2: true, https: { ...options, allowHTTP1: true } });
    await app.register(spiffeFastify);
    await app.register(async (admin) => {
      await admin.register(spiffeFastify, { authorizer: onlyClient });
      admin.get("/admin", async (request) => ({ caller: idOf(request as { spiffeId?: SpiffeId }) }));
    });
    app.get("/whoami", async (request) => ({ caller: idOf(request as { spiffeId?: SpiffeId }) }));
    if (attach) attachSpiffe(app.server, options);
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    return { url: `https://127.0.0.1:${port}`, close: () => Promise.race([app.close(), new Promise<void>((r) => setTimeout(r, 1000))]) };
  },
  async koa(options, attach) {
    const app = new Koa<SpiffeRequestFields>();
    const admin = spiffeKoa({ authorizer: onlyClient });
    app.use(spiffeKoa());
    app.use((ctx, next) => (ctx.path === "/admin" ? admin(ctx, next) : next()));
    app.use((ctx) => {
      ctx.body = { caller: ctx.state.spiffeId.toString() };
    });
    const server = createSecureServer({ ...options, allowHTTP1: true }, app.callback());
    if (attach) attachSpiffe(server, options);
    return listening(server);
  },
};

let pki: Pki;
beforeAll(async () => {
  pki = await createPki();
});

const clientSource = (ca: Pki["inter"], id: string): Promise<FakeX509Source> => sourceFor(ca, id, [pki.bundle]);

async function get(url: string, source: FakeX509Source): Promise<{ status: number; body: unknown }> {
  const agent = createSpiffeAgent({ source, authorizer: authorizeId(SERVER_ID), keepAlive: false });
  try {
    const response = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      import("node:https").then(({ request }) => request(url, { agent }, resolve).on("error", reject).end(), reject);
    });
    let text = "";
    response.setEncoding("utf8");
    for await (const chunk of response) text += chunk as string;
    return { status: response.statusCode ?? 0, body: JSON.parse(text) };
  } finally {
    agent.destroy();
  }
}

for (const [name, start] of Object.entries(frameworks)) {
  describe(`${name} with its SPIFFE middleware`, () => {
    let running: Running;
    let unattached: Running;
    beforeAll(async () => {
      const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
      const options = createServerTlsOptions(source, authorizeMemberOf("example.org"), name === "express" ? {} : { ALPNProtocols: ["h2", "http/1.1"] });
      running = await start(options, true);
      unattached = await start(createServerTlsOptions(source, authorizeMemberOf("example.org")), false);
    });
    afterAll(async () => {
      await running?.close();
      await unattached?.close();
    });

    test("the handler reads the caller's verified ID from the request", async () => {
      expect(await get(`${running.url}/whoami`, await clientSource(pki.inter, CLIENT_ID))).toEqual({ status: 200, body: { caller: CLIENT_ID } });
      expect(await get(`${running.url}/admin`, await clientSource(pki.inter, CLIENT_ID))).toEqual({ status: 200, body: { caller: CLIENT_ID } });
    });

    test("the middleware's authorizer answers 403 to a verified caller it refuses", async () => {
      expect(await get(`${running.url}/whoami`, await clientSource(pki.inter, CLIENT2_ID))).toEqual({ status: 200, body: { caller: CLIENT2_ID } });
      expect(await get(`${running.url}/admin`, await clientSource(pki.inter, CLIENT2_ID))).toEqual({ status: 403, body: { error: "forbidden", message: "caller is not authorized" } });
    });

    test("a server without attachSpiffe: 401, the middleware never vouches for an unverified caller", async () => {
      const answer = await get(`${unattached.url}/whoami`, await clientSource(pki.inter, CLIENT_ID));
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: "unauthenticated", message: "this endpoint requires a caller authenticated with a SPIFFE ID" });
    });

    test("clients of an untrusted CA or refused by attachSpiffe never reach a handler", async () => {
      const stranger = new (await import("../../src/testing/fake-x509-source.ts")).FakeX509Source({ svid: (await svidFor(pki.otherRoot, "spiffe://other.org/client")).svid, bundles: [pki.bundle] });
      const outsider = await sourceFor(pki.inter, "spiffe://elsewhere.org/client", [pki.bundle]).catch(() => undefined);
      for (const source of [stranger, outsider].filter((s): s is FakeX509Source => s !== undefined)) {
        const caught = await get(`${running.url}/whoami`, source).then(() => undefined, (err: unknown) => err);
        expect(caught).toBeInstanceOf(Error);
        expect(sdkErrorIn(caught)).toBeUndefined(); // refused by the server, not by the client
      }
    });

    test("a rotated client SVID shows on the next connection", async () => {
      const source = await clientSource(pki.inter, CLIENT_ID);
      expect((await get(`${running.url}/whoami`, source)).body).toEqual({ caller: CLIENT_ID });
      source.setX509Svid((await svidFor(pki.inter, CLIENT2_ID)).svid);
      expect((await get(`${running.url}/whoami`, source)).body).toEqual({ caller: CLIENT2_ID });
    });
  });
}

describe("framework middleware options", () => {
  test("a non-function authorizer is refused at creation (ConfigError)", () => {
    expect(() => spiffeExpress({ authorizer: "spiffe://example.org/x" } as never)).toThrow(ConfigError);
    expect(() => spiffeKoa({ authorizer: 1 } as never)).toThrow(ConfigError);
  });

  test("spiffeFastify with a non-function authorizer fails the application's start (ConfigError)", async () => {
    const app = Fastify();
    const caught = await app.register(spiffeFastify, { authorizer: 1 } as never).ready().then(() => undefined, (err: unknown) => err);
    expect(caught).toBeInstanceOf(ConfigError);
    await app.close();
  });
});
