// A SPIFFE mTLS server for the integration tests (https.Agent, undici, frameworks): attachSpiffe
// on http2.createSecureServer({ allowHTTP1: true }), which serves HTTP/1.1 and HTTP/2 on Node,
// Bun and Deno alike. It answers the caller's verified ID and counts TCP connections.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { Server as TlsServer } from "node:tls";
import { type Authorizer, authorizeAny, authorizeOneOf, SpiffeError } from "../../mod.ts";
import { attachSpiffe, createServerTlsOptions, getPeerId } from "../../src/adapters/node/mod.ts";
import type { X509BundleSourceLike } from "../../src/core/bundle/x509-bundle-source.ts";
import type { X509SvidSource } from "../../src/core/svid/x509/x509-svid-source.ts";
import type { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createPki, type Pki, sourceFor } from "./mtls-fixtures.ts";

/** The IDs of {@link startIntegrationServers}' server and its default client. */
export const SERVER_ID = "spiffe://example.org/server";
export const CLIENT_ID = "spiffe://example.org/client";

export interface IntegrationServer {
  readonly url: string;
  /** TCP connections accepted so far. */
  readonly connections: () => number;
  /** Connections open now, and the most that were open at once. */
  readonly open: () => { now: number; max: number };
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;

/** Answers `{ caller, httpVersion }` as JSON after `delayMs`. */
export function whoAmI(delayMs = 0): Handler {
  return (req, res) => {
    const answer = (): void => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ caller: getPeerId(req)?.toString() ?? null, httpVersion: req.httpVersion }));
    };
    if (delayMs) setTimeout(answer, delayMs);
    else answer();
  };
}

/** A handler ({@link whoAmI}) that holds `/held` requests until `release()`; `arrived()` resolves once one reached it. */
export interface HoldingHandler {
  readonly handler: Handler;
  arrived(): Promise<void>;
  release(): void;
}

export function holdingHandler(): HoldingHandler {
  const answer = whoAmI();
  let arrive: () => void = () => {};
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    handler: (req, res) => {
      if (req.url !== "/held") return answer(req, res);
      arrive();
      void released.then(() => answer(req, res));
    },
    arrived: () => arrived,
    release: () => release(),
  };
}

export async function startIntegrationServer(source: X509SvidSource & X509BundleSourceLike, authorizer: Authorizer, handler: Handler = whoAmI()): Promise<IntegrationServer> {
  const options = createServerTlsOptions(source, authorizer, { ALPNProtocols: ["h2", "http/1.1"] });
  const server = createSecureServer({ ...options, allowHTTP1: true }, handler);
  let total = 0;
  let now = 0;
  let max = 0;
  server.on("connection", (socket: { once(event: "close", l: () => void): void }) => {
    total++;
    max = Math.max(max, ++now);
    socket.once("close", () => now--);
  });
  attachSpiffe(server as unknown as TlsServer, options);
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => total,
    open: () => ({ now, max }),
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * The SDK error in an error's cause chain (axios and got keep it as `cause`); node-fetch
 * keeps only its `code`, reported with the name `"(code only)"`.
 */
export function sdkErrorIn(err: unknown): { name: string; code: string } | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 8; depth++) {
    if (e instanceof SpiffeError) return { name: e.name, code: e.code };
    e = (e as { cause?: unknown }).cause;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("ERR_") ? { name: "(code only)", code } : undefined;
}

/** What the HTTP client integration suites (agent, dispatcher) run against. */
export interface IntegrationServers {
  readonly pki: Pki;
  /** {@link SERVER_ID} (issued by the intermediate), accepting {@link CLIENT_ID} and `…/client2`. */
  readonly server: IntegrationServer;
  /** A server of other.org, whose CA the clients of {@link IntegrationServers.clientSource} do not trust. */
  readonly strangerServer: IntegrationServer;
  /** A fresh source of a client SVID for `id` (default {@link CLIENT_ID}) trusting example.org. */
  clientSource(id?: string): Promise<FakeX509Source>;
  close(): Promise<void>;
}

/** Starts the two servers of {@link IntegrationServers} on a new PKI. */
export async function startIntegrationServers(): Promise<IntegrationServers> {
  const pki = await createPki();
  const server = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeOneOf(CLIENT_ID, "spiffe://example.org/client2"));
  const strangerServer = await startIntegrationServer(await sourceFor(pki.otherRoot, "spiffe://other.org/server", [pki.bundle, pki.otherBundle]), authorizeAny());
  return {
    pki,
    server,
    strangerServer,
    clientSource: (id = CLIENT_ID) => sourceFor(pki.inter, id, [pki.bundle]),
    close: async () => {
      await server.close();
      await strangerServer.close();
    },
  };
}
