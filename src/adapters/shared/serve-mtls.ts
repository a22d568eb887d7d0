// serveMtls: a Web `fetch` handler served over SPIFFE TLS on node:tls, composed of the SDK's
// tlsconfig (src/tls: what the server presents, rotation, identity loss, and the one step
// that verifies a client) and node:http / node:http2 for the HTTP layer. Shared by the
// runtime entries, which hand in their RuntimeProfile.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from "node:http2";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { bindPeerIdentity, type PeerIdentity, peerIdentityOf } from "../../http/peer-identity.ts";
import type { MtlsServer, ServeOptions } from "../../http/serve-mtls-types.ts";
import { errorCode } from "../../tls/check-options.ts";
import { createServerTlsConfigWith } from "../../tls/server-tls.ts";
import { bundleSourceProblem, displayHost, type HealthServer, readiness, startHealthServer } from "./health-server.ts";
import { IdleTimer } from "./idle-timer.ts";
import { listen } from "./listen.ts";
import { validateServeOptions } from "./options.ts";
import type { RuntimeProfile } from "./runtime-profile.ts";
import { carriesBody, discardUnreadBody, toWebRequest } from "./web-request.ts";
import { writeWebResponse } from "./web-response.ts";

/** One accepted connection: its requests in flight, its HTTP/2 session and idle timer, the wait for its first request. */
interface Connection {
  active: number;
  session?: Http2Session;
  /** Closes an HTTP/2 session idle for `idleMs` (HTTP/1.1 connections: the server's keepAliveTimeout). */
  idle?: IdleTimer;
  /** Closes a connection whose first request does not come within `headersMs`. */
  firstRequest?: ReturnType<typeof setTimeout>;
}

/**
 * The shared implementation of the runtime entries' `serveMtls`: see its TSDoc there.
 *
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export async function serveMtlsWith(profile: RuntimeProfile, options: ServeOptions): Promise<MtlsServer> {
  const config = validateServeOptions(options);
  const { logger, now, timeouts } = config;
  const tls = createServerTlsConfigWith(profile.readPeerChain, {
    mode: options.mode,
    source: options.source as never,
    authorizer: "authorizer" in options ? options.authorizer : undefined,
    // Passed in every mode, so that a certificate given outside "mtls-web" is refused (ConfigError) rather than ignored.
    certificate: "certificate" in options ? options.certificate : undefined,
    ALPNProtocols: ["h2", "http/1.1"],
    logger,
    onIdentityLost: options.onIdentityLost,
    now,
  });
  // Connections by socket (HTTP/1.1 requests hold the socket itself) and by HTTP/2 session
  // (whose `socket` is a proxy): both are bound when the connection is handed over.
  const connections = new Map<TLSSocket, Connection>();
  const bySession = new WeakMap<Http2Session, Connection>();
  let closing = false;
  /** The host[:port] of the handler's request URL when the request names no plain host of its own (set once listening). */
  let ownHost = "";

  const tlsServer = createTlsServer({ ...tls.options, handshakeTimeout: timeouts.handshakeMs || undefined });
  const stopPresenting = tls.present(tlsServer);

  const handle = async (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): Promise<void> => {
    const http2 = req.httpVersionMajor === 2;
    const carrier: object | undefined = http2 ? (req as Http2ServerRequest).stream.session ?? undefined : req.socket;
    const conn = carrier && (http2 ? bySession.get(carrier as Http2Session) : connections.get(carrier as TLSSocket));
    if (!conn) {
      res.destroy(); // unreachable: only accepted connections are handed to the HTTP servers
      return;
    }
    const peer = peerIdentityOf(carrier!);
    if (tls.authenticatesClients && !peer) {
      res.destroy(); // unreachable: verified connections carry their identity
      return;
    }
    conn.active++;
    if (conn.firstRequest) {
      clearTimeout(conn.firstRequest);
      conn.firstRequest = undefined;
    }
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
      afterRequest(conn, http2, carrier as TLSSocket);
    });
    if (closing && !http2) (res as ServerResponse).setHeader("connection", "close");
    let response: Response;
    let request: Request | undefined;
    try {
      request = toWebRequest(req, ownHost, abort.signal);
      if (peer) bindPeerIdentity(request, peer);
      const result: unknown = await config.fetch(request, { peer });
      if (!(result instanceof Response)) throw new TypeError("the fetch handler must return a Response");
      response = result;
    } catch (err) {
      logger.error?.("serveMtls: handler failed", { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), spiffeId: peer?.id.toString() ?? null });
      response = Response.json({ error: "internal", message: "internal server error" }, { status: 500 });
    }
    await writeWebResponse(response, res, { head: req.method === "HEAD", http2 });
    if (request && carriesBody(req.method)) discardUnreadBody(request);
  };

  const http1 = createHttpServer({}, (req, res) => void handle(req, res));
  http1.keepAliveTimeout = timeouts.idleMs || 0;
  profile.prepareHttp1Server?.(http1, () => !closing && tlsServer.listening);
  const http2 = createHttp2Server({}, (req, res) => void handle(req, res));
  // The session of a connection is created synchronously while the connection is handed
  // over (Node, Bun and Deno alike): bind it then, with no lookup by address.
  let handingOver: { socket: TLSSocket; conn: Connection; peer: PeerIdentity | undefined } | undefined;
  http2.on("session", (session: Http2Session) => {
    const current = handingOver;
    if (!current) return void session.destroy(); // unreachable: sessions only come from handOver
    current.conn.session = session;
    bySession.set(session, current.conn);
    if (current.peer) bindPeerIdentity(session, current.peer);
    if (timeouts.idleMs) followIdleSession(session, current.conn, timeouts.idleMs);
    if (closing) session.close();
  });

  function handOver(socket: TLSSocket, conn: Connection, peer: PeerIdentity | undefined): void {
    if (socket.alpnProtocol !== "h2") return void http1.emit("connection", socket);
    handingOver = { socket, conn, peer };
    try {
      http2.emit("connection", socket);
    } finally {
      handingOver = undefined;
    }
  }

  function afterRequest(conn: Connection, isHttp2: boolean, socket: TLSSocket): void {
    if (conn.active > 0) return;
    if (isHttp2) conn.idle?.idle();
    if (closing && !isHttp2) socket.end(); // HTTP/2 sessions got their GOAWAY in close()
  }

  tlsServer.on("secureConnection", (socket: TLSSocket) => {
    if (closing) return void socket.destroy();
    const conn: Connection = { active: 0 };
    connections.set(socket, conn);
    socket.once("close", () => {
      clearTimeout(conn.firstRequest);
      conn.idle?.stop();
      connections.delete(socket);
      if (closing && connections.size === 0) drained?.();
    });
    socket.on("error", () => {}); // reported through 'close'; never crash the process
    const deadline = timeouts.handshakeMs ? setTimeout(() => socket.destroy(), timeouts.handshakeMs) : undefined;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    tls.verifyClient(socket).then((peer) => {
      clearTimeout(deadline);
      if (socket.destroyed || closing) return void socket.destroy();
      if (timeouts.headersMs) {
        // a connection that never sends a request is closed; requests clear this timer
        conn.firstRequest = setTimeout(() => {
          if (conn.active === 0) socket.destroy();
        }, timeouts.headersMs);
      }
      handOver(socket, conn, peer);
    }, (err: unknown) => {
      clearTimeout(deadline);
      logger.debug?.("serveMtls: refused client", { remote, code: errorCode(err), reason: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    });
  });
  tlsServer.on("tlsClientError", (err: Error & { code?: string }, socket?: TLSSocket) => {
    logger.debug?.("serveMtls: TLS handshake failed", { code: err.code ?? err.name });
    // A handshake timeout only emits this event (Node, Bun and Deno): close the socket, or
    // a silent client holds it open forever.
    socket?.destroy();
  });

  let port: number;
  try {
    port = await listen(tlsServer, config.port, config.hostname);
  } catch (err) {
    stopPresenting();
    tls.close();
    throw err;
  }
  ownHost = `${displayHost(config.hostname)}:${port}`;
  let health: HealthServer | undefined;
  try {
    if (config.health) health = await startHealthServer(() => readinessOf(), config.health.port, config.health.hostname, config.health.metrics);
  } catch (err) {
    tlsServer.close();
    stopPresenting();
    tls.close();
    throw err;
  }

  /**
   * /readyz: SVID modes report the workload's SVID; mTLS-web reports the certificate it
   * presents and whether its bundle source can verify clients (an X509Source cannot while
   * the workload has no identity).
   */
  function readinessOf(): ReturnType<typeof readiness> {
    if (options.mode !== "mtls-web") return readiness(options.source, now());
    if (!tls.ready) return { status: 503, body: { status: "unavailable", reason: "no certificate to present" } };
    const problem = bundleSourceProblem(options.source);
    return problem ? { status: 503, body: { status: "unavailable", ...problem } } : { status: 200, body: { status: "ready" } };
  }

  let drained: (() => void) | undefined;
  let closed: Promise<void> | undefined;
  const close = (opts: { timeoutMs?: number } = {}): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      stopPresenting();
      tls.close();
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

/**
 * Closes an HTTP/2 session that has had no stream for `idleMs` after its last one ended (the
 * first request must come within `headersMs`), with a timer of our own
 * (not `session.setTimeout`: Node 24 and Deno leave a closed session's timeout timer armed,
 * holding the session and its socket for `idleMs` after the connection ended).
 */
function followIdleSession(session: Http2Session, conn: Connection, idleMs: number): void {
  conn.idle = new IdleTimer(idleMs, () => conn.active > 0, () => session.close());
  session.once("close", () => conn.idle?.stop());
}

/** False when the request carries no body (then it has already ended, or ends with no byte to wait for). */
function hasBody(req: IncomingMessage | Http2ServerRequest, http2: boolean): boolean {
  if (http2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  const h = req.headers;
  return h["transfer-encoding"] !== undefined || (h["content-length"] !== undefined && h["content-length"] !== "0");
}
