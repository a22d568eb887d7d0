import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from "node:http2";
import { constants as cryptoConstants } from "node:crypto";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { SpiffeError } from "../../core/errors/spiffe-error.ts";
import { createX509PeerVerifier } from "../../core/svid/x509/x509-peer-verifier.ts";
import { attachPeerIdentity, type PeerIdentity } from "../../http/peer-identity.ts";
import type { MtlsServer, ServeMtlsOptions } from "../../http/serve-mtls-types.ts";
import { displayHost, type HealthServer, startHealthServer } from "./health-server.ts";
import { validateServeOptions } from "./options.ts";
import { peerChainOf } from "./peer-chain.ts";
import { credentialsOf, watchCredentials } from "./svid-credentials.ts";
import { toWebRequest } from "./web-request.ts";
import { writeWebResponse } from "./web-response.ts";
import { listen } from "./listen.ts";

const PEER = Symbol("spiffe-ts.peer");
/** The connection record, on the socket itself: HTTP/2 hands back a proxy of the socket, through which it is read too. */
const CONN = Symbol("spiffe-ts.connection");
const IS_DENO = (globalThis as { Deno?: unknown }).Deno !== undefined;
type VerifiedSocket = TLSSocket & { [PEER]?: PeerIdentity; [CONN]?: Connection };

interface Connection {
  active: number;
  session?: Http2Session;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/**
 * Serves a Web `fetch` handler over SPIFFE mutual TLS, on `node:tls` (the one TLS stack
 * that exposes the client's certificate chain on Node, Bun and Deno alike).
 *
 * Each connection presents the source's current X.509-SVID (rotations apply to new
 * handshakes, no restart), requires a client certificate, and is verified once right
 * after the handshake, before any HTTP byte is read: `verifyX509Svid` against the bundle
 * of the client's own trust domain, then the authorizer. Refused connections are closed
 * and never reach the handler. HTTP/1.1 and HTTP/2 are negotiated with ALPN.
 *
 * Exported from `@spiffe-ts/sdk/node` (and, identically, `/bun` and `/deno`).
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, getSpiffeId, X509Source } from "@spiffe-ts/sdk";
 * import { serveMtls } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const server = await serveMtls({
 *   source,
 *   authorizer: authorizeMemberOf("example.org"),
 *   port: 8443,
 *   health: { port: 8080 },
 *   fetch: (request, { peer }) => new Response(`hello ${peer.id}`),
 * });
 * ```
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export async function serveMtls(options: ServeMtlsOptions): Promise<MtlsServer> {
  const config = validateServeOptions(options);
  const { source, logger, now, timeouts } = config;
  let credentials = credentialsOf(source);
  const verify = createX509PeerVerifier({ bundleSource: source, authorizer: config.authorizer, now });
  const connections = new Map<TLSSocket, Connection>();
  let closing = false;

  const tlsServer = createTlsServer({
    key: credentials.key,
    cert: credentials.cert,
    requestCert: true,
    rejectUnauthorized: false, // the core verifies: never the system or OpenSSL trust store
    ALPNProtocols: ["h2", "http/1.1"],
    minVersion: "TLSv1.2",
    handshakeTimeout: timeouts.handshakeMs || undefined,
    // No session resumption: every connection presents and proves its SVID again.
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
  });
  const unwatch = watchCredentials(source, () => credentials.svid, (next) => {
    // setSecureContext replaces the whole context: pass the options again (or tickets come back)
    tlsServer.setSecureContext({ key: next.key, cert: next.cert, minVersion: "TLSv1.2", secureOptions: cryptoConstants.SSL_OP_NO_TICKET });
    logger.info?.("serveMtls: presenting rotated X.509-SVID", { spiffeId: next.svid.id.toString(), serialNumber: next.svid.serialNumber, expiresAt: next.svid.expiresAt.toISOString() });
    credentials = next;
  }, (err) => logger.warn?.("serveMtls: source has no X.509-SVID; presenting the previous one", { code: codeOf(err) }));

  const handle = async (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): Promise<void> => {
    const http2 = req.httpVersionMajor === 2;
    const socket = (http2 ? (req as Http2ServerRequest).stream.session?.socket : req.socket) as VerifiedSocket | undefined;
    const peer = socket?.[PEER];
    const conn = socket ? connectionOf(socket) : undefined;
    if (!peer || !conn) {
      res.destroy(); // unreachable: only verified sockets are handed to the HTTP servers
      return;
    }
    conn.active++;
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    const abort = new AbortController();
    let requestTimer: ReturnType<typeof setTimeout> | undefined;
    if (timeouts.requestMs && hasBody(req, http2)) {
      requestTimer = setTimeout(() => {
        if (!req.readableEnded) res.destroy(); // body too slow
      }, timeouts.requestMs);
      req.once("end", () => clearTimeout(requestTimer));
    }
    res.once("close", () => {
      clearTimeout(requestTimer);
      // Closed before we ended the response: the client went away, cancel the handler's work.
      // (Not writableFinished: node:http2's compat response reports finished on a reset stream.)
      if (!res.writableEnded) abort.abort();
      conn.active--;
      afterRequest(socket!, conn, http2);
    });
    if (closing && !http2) (res as ServerResponse).setHeader("connection", "close");
    let response: Response;
    try {
      const request = toWebRequest(req, `${displayHost(config.hostname)}:${port}`, abort.signal);
      attachPeerIdentity(request, peer);
      const result: unknown = await config.fetch(request, { peer });
      if (!(result instanceof Response)) throw new TypeError("the fetch handler must return a Response");
      response = result;
    } catch (err) {
      logger.error?.("serveMtls: handler failed", { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), spiffeId: peer.id.toString() });
      response = Response.json({ error: "internal", message: "internal server error" }, { status: 500 });
    }
    await writeWebResponse(response, res, { head: req.method === "HEAD", http2 });
  };

  const http1 = createHttpServer({}, (req, res) => void handle(req, res));
  http1.keepAliveTimeout = timeouts.idleMs || 0;
  if (IS_DENO) {
    // Deno's node:http server ends every connection after one response when the server is
    // not `listening` (a Deno-only branch of its resOnFinish, denoland/deno#35609), and this
    // one never listens: it is handed verified sockets. Report the TLS server's state so
    // HTTP/1.1 keep-alive works; while closing, afterRequest ends idle connections itself.
    Object.defineProperty(http1, "listening", { get: () => !closing && tlsServer.listening });
  }
  const http2 = createHttp2Server({}, (req, res) => void handle(req, res));
  http2.on("session", (session: Http2Session) => {
    const socket = session.socket as unknown as TLSSocket;
    const conn = connectionOf(socket);
    if (conn) conn.session = session;
    if (timeouts.idleMs) {
      session.setTimeout(timeouts.idleMs, () => session.close());
      session.once("close", () => releaseIdleTimer(session));
    }
    if (closing) session.close();
  });

  function connectionOf(socket: TLSSocket): Connection | undefined {
    return (socket as VerifiedSocket)[CONN] ?? connections.get(socket) ?? findConnection(connections, socket);
  }

  function afterRequest(socket: TLSSocket, conn: Connection, isHttp2: boolean): void {
    if (conn.active > 0) return;
    if (closing && !isHttp2) socket.end(); // HTTP/2 sessions got their GOAWAY in close()
  }

  tlsServer.on("secureConnection", (tlsSocket: TLSSocket) => {
    const socket = tlsSocket as VerifiedSocket;
    if (closing) return void socket.destroy();
    const conn: Connection = { active: 0 };
    connections.set(socket, conn);
    socket[CONN] = conn;
    socket.once("close", () => {
      clearTimeout(conn.idleTimer);
      connections.delete(socket);
      if (closing && connections.size === 0) drained?.();
    });
    socket.on("error", () => {}); // reported through 'close'; never crash the process
    const deadline = timeouts.handshakeMs ? setTimeout(() => socket.destroy(), timeouts.handshakeMs) : undefined;
    const chain = peerChainOf(socket);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (chain.length === 0) {
      clearTimeout(deadline);
      logger.debug?.("serveMtls: refused connection without a client certificate", { remote });
      return void socket.destroy();
    }
    verify(chain).then((verified) => {
      clearTimeout(deadline);
      if (socket.destroyed || closing) return void socket.destroy();
      socket[PEER] = Object.freeze({ id: verified.id, mechanism: "x509-svid", certificates: Object.freeze([...verified.verifiedChain]) });
      if (timeouts.headersMs) {
        // a connection that never sends a request is closed; requests clear this timer
        conn.idleTimer = setTimeout(() => {
          if (conn.active === 0) socket.destroy();
        }, timeouts.headersMs);
      }
      (socket.alpnProtocol === "h2" ? http2 : http1).emit("connection", socket);
    }, (err: unknown) => {
      clearTimeout(deadline);
      logger.debug?.("serveMtls: refused client", { remote, code: codeOf(err), reason: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    });
  });
  tlsServer.on("tlsClientError", (err: Error & { code?: string }, socket?: TLSSocket) => {
    logger.debug?.("serveMtls: TLS handshake failed", { code: err.code ?? err.name });
    // A handshake timeout only emits this event (Node, Bun and Deno): close the socket, or
    // a silent client holds it open forever.
    socket?.destroy();
  });

  const port = await listen(tlsServer, config.port, config.hostname);
  let health: HealthServer | undefined;
  try {
    if (config.health) health = await startHealthServer(source, config.health.port, config.health.hostname, now);
  } catch (err) {
    tlsServer.close();
    unwatch();
    throw err;
  }

  let drained: (() => void) | undefined;
  let closed: Promise<void> | undefined;
  const close = (opts: { timeoutMs?: number } = {}): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      unwatch();
      const stopped = new Promise<void>((resolve) => tlsServer.close(() => resolve()));
      const all = new Promise<void>((resolve) => {
        drained = resolve;
        if (connections.size === 0) resolve();
      });
      // HTTP/2 sessions get a GOAWAY now (in-flight streams still finish); HTTP/1.1
      // connections close now when idle, else right after their response (afterRequest).
      for (const [socket, conn] of connections) {
        if (conn.session) conn.session.close();
        else if (conn.active === 0) socket.end();
      }
      const timeoutMs = opts.timeoutMs ?? 10_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      for (const socket of connections.keys()) socket.destroy();
      await Promise.all([stopped, health?.close()]);
    })();
    return closed;
  };

  return {
    url: new URL(`https://${displayHost(config.hostname)}:${port}/`),
    port,
    healthUrl: health?.url,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** False when the request carries no body (then it has already ended, or ends with no byte to wait for). */
function hasBody(req: IncomingMessage | Http2ServerRequest, http2: boolean): boolean {
  if (http2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  const h = req.headers;
  return h["transfer-encoding"] !== undefined || (h["content-length"] !== undefined && h["content-length"] !== "0");
}

/** HTTP/2 hands back a proxy of the socket; find its connection by identity of the target. */
function findConnection(connections: Map<TLSSocket, Connection>, socket: TLSSocket): Connection | undefined {
  for (const [s, c] of connections) if (s === socket || (s.remotePort === socket.remotePort && s.remoteAddress === socket.remoteAddress && s.localPort === socket.localPort)) return c;
  return undefined;
}

/**
 * Node 24 (and Deno's node:http2) leave a closed session's idle timer armed: closeSession
 * marks the session destroyed, then calls `setTimeout(0)`, which returns early for a
 * destroyed session. The timer then holds the session, its socket and streams for `idleMs`
 * after the connection ended (~2 KB of heap per connection at 60 s). Clear it ourselves.
 */
function releaseIdleTimer(session: Http2Session): void {
  for (const key of Object.getOwnPropertySymbols(session)) {
    if (key.description === "timeout") clearTimeout((session as unknown as Record<symbol, ReturnType<typeof setTimeout> | undefined>)[key]);
  }
}

function codeOf(err: unknown): string {
  if (err instanceof SpiffeError) return err.code;
  return err instanceof Error ? err.name : typeof err;
}
