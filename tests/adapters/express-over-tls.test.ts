// The Express recipe of docs/integrations.md for Bun: a node:tls server handing verified
// connections to a node:http server that never listens itself. Deno 2.9's node:http ends
// every connection after one response when its server is not listening (while answering
// "Connection: keep-alive"), so the recipe reports the TLS server's state as the HTTP
// server's. Shown here on each runtime: with that line the connection is kept alive, without
// it Deno opens one connection per request.
import { beforeAll, describe, expect, test } from "bun:test";
import { createServer as createHttpServer } from "node:http";
import { request } from "node:https";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import express from "express";
import { authorizeAny, authorizeId } from "../../mod.ts";
import type { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { createPki, type Pki, sourceFor } from "./mtls-fixtures.ts";

const { attachSpiffe, createServerTlsOptions, createSpiffeAgent, getPeerId, spiffeExpress } = runtimeEntry;
const SERVER_ID = "spiffe://example.org/server";

let pki: Pki;
let serverSource: FakeX509Source;
let clientSource: FakeX509Source;
beforeAll(async () => {
  pki = await createPki();
  serverSource = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
  clientSource = await sourceFor(pki.inter, "spiffe://example.org/client", [pki.bundle]);
});

/** The recipe's server, with or without the line that reports the TLS server's state; counts TCP connections. */
async function startRecipe(reportListening: boolean): Promise<{ url: string; connections: () => number; server: TlsServer }> {
  const app = express();
  app.use(spiffeExpress());
  app.get("/hello", (req, res) => {
    res.json({ caller: getPeerId(req)?.toString() });
  });
  const options = createServerTlsOptions(serverSource, authorizeAny());
  const http = createHttpServer(app);
  const server = createTlsServer(options, (socket) => http.emit("connection", socket));
  if (reportListening) Object.defineProperty(http, "listening", { get: () => server.listening });
  attachSpiffe(server, options);
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { url: `https://127.0.0.1:${(server.address() as { port: number }).port}/hello`, connections: () => connections, server };
}

/** Three sequential requests through one keep-alive agent (one connection at most at a time); the server's connection count after. */
async function connectionsForThreeRequests(reportListening: boolean): Promise<number> {
  const recipe = await startRecipe(reportListening);
  const agent = createSpiffeAgent({ source: clientSource, authorizer: authorizeId(SERVER_ID), maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        request(recipe.url, { agent }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => resolve(text));
        })
          .on("error", reject)
          .end();
      });
      expect(JSON.parse(body)).toEqual({ caller: "spiffe://example.org/client" });
    }
    return recipe.connections();
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => recipe.server.close(() => resolve()));
  }
}

describe(`Express on node:tls + node:http (docs/integrations.md) on ${runtime}`, () => {

  test("with the HTTP server reporting the TLS server's state: one kept-alive connection for three requests", async () => {
    expect(await connectionsForThreeRequests(true)).toBe(1);
  });

  test(`without it: ${runtime === "deno" ? "Deno closes the connection after every response (three connections)" : "the connection is kept alive too"}`, async () => {
    expect(await connectionsForThreeRequests(false)).toBe(runtime === "deno" ? 3 : 1);
  });
});
