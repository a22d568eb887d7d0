// Serves a Web handler `(Request) => Response` on the test's runtime with that runtime's own
// server: Bun.serve on Bun, Deno.serve on Deno, node:http(s) plus a small Request/Response
// bridge on Node. Plain HTTP, or HTTPS with a Web-PKI certificate.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { WebCertificate } from "../../src/http/tls-mode.ts";
import { runtime } from "../support/runtime-entry.ts";

export type WebHandler = (request: Request) => Response | Promise<Response>;

/** A running server: `origin` is `http://127.0.0.1:PORT` or `https://localhost:PORT`. */
export interface WebServer {
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

interface BunServer {
  readonly port: number;
  stop(closeActive?: boolean): Promise<void> | void;
}
interface BunLike {
  serve(options: { port: number; hostname: string; tls?: { cert: string; key: string }; fetch: WebHandler }): BunServer;
}
interface DenoServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoLike {
  serve(options: { port: number; hostname: string; cert?: string; key?: string; onListen?: () => void }, handler: WebHandler): DenoServer;
}

/** Serves `handler` on 127.0.0.1 (HTTPS when `tls` is given) with the runtime's own server. */
export async function serveWeb(handler: WebHandler, tls?: WebCertificate): Promise<WebServer> {
  const scheme = tls ? "https" : "http";
  const host = tls ? "localhost" : "127.0.0.1";
  if (runtime === "bun") {
    const server = (globalThis as unknown as { Bun: BunLike }).Bun.serve({ port: 0, hostname: "127.0.0.1", ...(tls ? { tls } : {}), fetch: handler });
    return { origin: `${scheme}://${host}:${server.port}`, port: server.port, close: async () => void (await server.stop(true)) };
  }
  if (runtime === "deno") {
    const server = (globalThis as unknown as { Deno: DenoLike }).Deno.serve({ port: 0, hostname: "127.0.0.1", ...(tls ?? {}), onListen: () => {} }, handler);
    return { origin: `${scheme}://${host}:${server.addr.port}`, port: server.addr.port, close: () => server.shutdown() };
  }
  const listener = nodeBridge(handler);
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `${scheme}://${host}:${port}`,
    port,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** node:http → Web handler: the request as a `Request`, the `Response` written back. */
export function nodeBridge(handler: WebHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
    } as RequestInit);
    Promise.resolve()
      .then(() => handler(request))
      .then(async (response) => {
        res.writeHead(response.status, [...response.headers].flat());
        if (response.body) res.end(new Uint8Array(await response.arrayBuffer()));
        else res.end();
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  };
}
