// A SPIFFE mTLS server for the integration tests (https.Agent, undici, frameworks): attachSpiffe
// on http2.createSecureServer({ allowHTTP1: true }), which serves HTTP/1.1 and HTTP/2 on Node,
// Bun and Deno alike. It answers the caller's verified ID and counts TCP connections.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { Server as TlsServer } from "node:tls";
import { type Authorizer, SpiffeError } from "../../mod.ts";
import { attachSpiffe, createServerTlsOptions, getPeerId } from "../../src/adapters/node/mod.ts";
import type { X509BundleSourceLike } from "../../src/core/bundle/x509-bundle-source.ts";
import type { X509SvidSource } from "../../src/core/svid/x509/x509-svid-source.ts";

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
