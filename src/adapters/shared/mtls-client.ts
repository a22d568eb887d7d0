import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { IncomingMessage } from "node:http";
import { connect as http2Connect, type ClientHttp2Session, constants as h2 } from "node:http2";
import type { Duplex } from "node:stream";
import { ConfigError } from "../../core/errors/config-error.ts";
import { SpiffeError } from "../../core/errors/spiffe-error.ts";
import { jwtSvidAuthorizer } from "../../http/jwt-svid-bearer.ts";
import { bindPeerIdentity, peerIdentityOf } from "../../http/peer-identity.ts";
import type { ClientOptions, MtlsClient, MtlsRequestBody, MtlsRequestInit } from "../../http/mtls-client-types.ts";
import { type ClientTlsConfig, createClientTlsConfig } from "../../tls/client-tls.ts";
import { type ClientConfig, validateClientOptions } from "./options.ts";
import { cancelRequest } from "./cancel-request.ts";
import { createOriginLimiter } from "./origin-limiter.ts";
import type { RuntimeProfile } from "./runtime-profile.ts";
import { CONNECTION_SPECIFIC_FIELDS } from "./http-fields.ts";
import { closedAfterHandshake } from "./client/closed-after-handshake.ts";
import { type OutgoingRequest, outgoingRequest } from "./client/outgoing-request.ts";
import { pipeBody } from "./client/pipe-body.ts";
import { requestDeadline } from "./client/request-deadline.ts";
import { toResponse } from "./client/to-response.ts";
import { hostOf, portOf } from "./client/url-endpoint.ts";

/**
 * An `https.Agent` whose connections are opened by the client's TLS config: pooled with
 * keep-alive, and handed to `node:https` only after the server was authenticated.
 */
class VerifyingAgent extends HttpsAgent {
  readonly #tls: ClientTlsConfig;
  readonly #maxIdle: number;

  constructor(config: ClientConfig, tls: ClientTlsConfig) {
    // No maxSockets: the per-origin limit is enforced before a request reaches the agent (see createOriginLimiter).
    super({ keepAlive: true, maxFreeSockets: config.pool.maxIdlePerOrigin, timeout: config.pool.idleTimeoutMs, scheduling: "lifo" });
    this.#tls = tls;
    this.#maxIdle = config.pool.maxIdle;
  }

  override createConnection(options: { host?: string | null; port?: number | string | null }, callback: (err: Error | null, socket?: Duplex) => void): Duplex {
    this.#tls.connect(String(options.host ?? "localhost"), Number(options.port ?? 443), { ALPNProtocols: ["http/1.1"] }).then(
      (socket) => (socket.destroyed ? callback(closedAfterHandshake()) : callback(null, socket)),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
    return undefined as unknown as Duplex; // the callback delivers the socket once verified
  }

  /** Enforces the total idle limit on top of the per-origin one. */
  override keepSocketAlive(socket: Duplex): boolean {
    let idle = 0;
    for (const list of Object.values(this.freeSockets)) idle += list?.length ?? 0;
    if (idle >= this.#maxIdle) return false;
    return (super.keepSocketAlive(socket as never) as unknown) !== false;
  }
}

interface H2Entry {
  session: ClientHttp2Session;
  idleTimer?: ReturnType<typeof setTimeout>;
  active: number;
}

/**
 * Creates an HTTP client that speaks SPIFFE mTLS (see {@link MtlsClient}). Connections
 * negotiate HTTP/2 or HTTP/1.1 with ALPN: an HTTP/2 server gets one multiplexed connection
 * per origin; HTTP/1.1 connections are pooled with keep-alive.
 *
 * Exported from `@spiffe-ts/sdk/node` (and, identically, `/bun` and `/deno`).
 *
 * @example
 * ```ts
 * import { authorizeId, X509Source } from "@spiffe-ts/sdk";
 * import { createMtlsClient } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const client = createMtlsClient({ source, authorizer: authorizeId("spiffe://example.org/server") });
 * const response = await client.get("https://server.internal:8443/api/hello");
 * console.log(await response.text());
 * await client.close();
 * ```
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export function createMtlsClientWith(profile: RuntimeProfile, options: ClientOptions): MtlsClient {
  const config = validateClientOptions(options);
  const addJwtSvid = jwtSvidAuthorizer(options.jwtSvid);
  const useHttp2 = options.http2 ?? profile.clientHttp2ByDefault;
  const { logger } = config;
  const tls = createClientTlsConfig({
    mode: options.mode,
    source: options.source,
    authorizer: "authorizer" in options ? options.authorizer : undefined,
    ca: options.mode === "mtls-web" ? options.ca : undefined,
    logger,
    now: config.now,
  });
  // Made on the first HTTP/1.1 request: a client that speaks HTTP/2 never needs it (an
  // https.Agent costs tens of µs to build, a noticeable share of a one-connection client).
  let agent: VerifyingAgent | undefined;
  const agentOf = (): VerifyingAgent => (agent ??= new VerifyingAgent(config, tls));
  const retiredAgents = new Set<VerifyingAgent>();
  const h2Sessions = new Map<string, H2Entry>();
  const http1Origins = new Set<string>();
  const http1Slots = createOriginLimiter(config.pool.maxPerOrigin);
  let closed = false;

  const unwatch = tls.onCredentialsChange(() => {
    // New connections present the new SVID (or none can be made while there is none);
    // connections already open keep working.
    if (agent) retiredAgents.add(agent);
    for (const old of retiredAgents) {
      for (const list of Object.values(old.freeSockets)) for (const s of list ?? []) s.destroy();
      // Forget an old agent once nothing runs on it (else every rotation would keep one).
      if (!hasWork(old.sockets) && !hasWork(old.requests)) {
        old.destroy();
        retiredAgents.delete(old);
      }
    }
    agent = undefined; // the next HTTP/1.1 request makes one
    for (const [origin, entry] of h2Sessions) if (entry.active === 0) closeSession(origin, entry);
  });

  /** Ends an idle HTTP/2 session (no stream in flight: callers check `active === 0`). */
  function closeSession(origin: string, entry: H2Entry): void {
    if (h2Sessions.get(origin) === entry) h2Sessions.delete(origin);
    clearTimeout(entry.idleTimer);
    // destroy, not close: with nothing in flight a GOAWAY exchange buys nothing, and
    // Deno 2.9's nghttp2 binding can abort the process on GOAWAY processing.
    entry.session.destroy();
  }

  async function h2Session(url: URL, signal: AbortSignal): Promise<H2Entry | undefined> {
    const origin = url.origin;
    const existing = h2Sessions.get(origin);
    if (existing && !existing.session.closed && !existing.session.destroyed) return existing;
    if (!useHttp2 || http1Origins.has(origin)) return undefined;
    const socket = await tls.connect(hostOf(url), portOf(url), { ALPNProtocols: ["h2", "http/1.1"], signal });
    if (socket.destroyed) throw closedAfterHandshake();
    if (socket.alpnProtocol !== "h2") {
      http1Origins.add(origin); // speak HTTP/1.1 to this origin from now on
      socket.destroy();
      return undefined;
    }
    const session = http2Connect(origin, { createConnection: () => socket });
    socket.once("close", () => session.destroy()); // a refusal right after the handshake ends pending streams
    const entry: H2Entry = { session, active: 0 };
    session.on("error", () => {}); // surfaced on the streams
    session.once("close", () => {
      if (h2Sessions.get(origin) === entry) h2Sessions.delete(origin);
      clearTimeout(entry.idleTimer);
    });
    session.once("goaway", () => {
      if (h2Sessions.get(origin) === entry) h2Sessions.delete(origin);
    });
    const peer = peerIdentityOf(socket);
    if (peer) bindPeerIdentity(session, peer);
    h2Sessions.set(origin, entry);
    return entry;
  }

  async function send(request: OutgoingRequest, signal: AbortSignal, done: () => void): Promise<Response> {
    const { url } = request;
    if (url.protocol !== "https:") throw new ConfigError("url", `SPIFFE mTLS needs an https: URL, got "${url.protocol}"`);
    const entry = await h2Session(url, signal);
    return entry ? sendHttp2(entry, request, url, signal, done) : sendHttp1(request, url, signal, done);
  }

  function sendHttp2(entry: H2Entry, request: OutgoingRequest, url: URL, signal: AbortSignal, finished: () => void): Promise<Response> {
    entry.active++;
    clearTimeout(entry.idleTimer);
    const headers: Record<string, string | string[]> = {
      [h2.HTTP2_HEADER_METHOD]: request.method,
      [h2.HTTP2_HEADER_PATH]: url.pathname + url.search,
      [h2.HTTP2_HEADER_SCHEME]: "https",
      [h2.HTTP2_HEADER_AUTHORITY]: url.host,
    };
    request.headers.forEach((value, name) => {
      if (!CONNECTION_SPECIFIC_FIELDS.has(name) && name !== "host") headers[name] = value; // :authority carries the host
    });
    const stream = entry.session.request(headers, { endStream: !request.body, signal });
    const done = (): void => {
      finished();
      entry.active--;
      if (entry.active === 0 && !closed) {
        entry.idleTimer = setTimeout(() => closeSession(url.origin, entry), config.pool.idleTimeoutMs);
        entry.idleTimer.unref?.();
      }
    };
    stream.once("close", done);
    if (request.body) pipeBody(request.body, stream, signal);
    return new Promise((resolve, fail) => {
      const reject = (err: unknown): void => fail(signal.aborted ? signal.reason : err); // like fetch: the abort reason
      const closedEarly = (): void => reject(new Error(`the server closed the HTTP/2 stream before answering (code ${stream.rstCode ?? "unknown"}); a SPIFFE server does this when it refuses the client's SVID`));
      stream.once("error", reject);
      stream.once("close", closedEarly);
      stream.once("response", (h) => {
        stream.off("error", reject);
        stream.off("close", closedEarly);
        const status = Number(h[h2.HTTP2_HEADER_STATUS]);
        // Name/value pairs: the Response copies them into its own Headers (one copy, not two).
        const responseHeaders: [string, string][] = [];
        for (const [name, value] of Object.entries(h)) {
          if (name.startsWith(":") || value === undefined) continue;
          if (Array.isArray(value)) for (const v of value) responseHeaders.push([name, v]);
          else responseHeaders.push([name, String(value)]);
        }
        resolve(toResponse(stream, status, "", responseHeaders, request.method, peerIdentityOf(entry.session)));
      });
    });
  }

  async function sendHttp1(request: OutgoingRequest, url: URL, signal: AbortSignal, done: () => void): Promise<Response> {
    const headers: Record<string, string | string[]> = {};
    request.headers.forEach((value, name) => {
      if (name !== "set-cookie") headers[name] = value;
    });
    const release = await http1Slots.acquire(`${hostOf(url)}:${portOf(url)}`, signal);
    return new Promise((resolve, fail) => {
      const reject = (err: unknown): void => fail(signal.aborted ? signal.reason : err); // like fetch: the abort reason
      let req: ReturnType<typeof httpsRequest>;
      try {
        // Not the `signal` option: on Deno a request destroyed on a reused keep-alive socket
        // is sent again (cancelRequest); the abort is handled here instead.
        req = httpsRequest({ agent: agentOf(), host: hostOf(url), port: portOf(url), method: request.method, path: url.pathname + url.search, headers }, (res: IncomingMessage) => {
          signal.removeEventListener("abort", onAbort);
          signal.addEventListener("abort", () => res.destroy(signal.reason instanceof Error ? signal.reason : undefined), { once: true });
          res.once("close", done);
          const responseHeaders: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
          resolve(toResponse(res, res.statusCode ?? 502, res.statusMessage ?? "", responseHeaders, request.method, peerIdentityOf(res.socket)));
        });
      } catch (err) {
        release();
        throw err;
      }
      const onAbort = (): void => {
        cancelRequest(req, signal.reason);
        reject(signal.reason);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      req.once("error", reject);
      // Some runtimes (Deno) neither answer nor fail a request whose socket closed under it.
      req.once("close", () => {
        reject(closedAfterHandshake());
        done();
        // The next request starts after this task, once the socket is back in the pool ('free' follows 'close').
        release();
      });
      if (request.body) pipeBody(request.body, req, signal, (err) => cancelRequest(req, err));
      else req.end();
    });
  }

  const doFetch = async (input: string | URL | Request, init: MtlsRequestInit = {}): Promise<Response> => {
    if (closed) throw new SpiffeError("ERR_CLIENT_CLOSED", "the mTLS client is closed");
    const { timeoutMs = config.timeoutMs, ...rest } = init;
    const { signal, done } = requestDeadline(timeoutMs, init.signal, input instanceof Request ? input.signal : undefined);
    try {
      const request = outgoingRequest(input, rest, signal);
      await addJwtSvid?.(request.headers);
      return await send(request, signal, done);
    } catch (err) {
      done();
      throw err;
    }
  };

  const withBody = (method: string) => (url: string | URL, body?: MtlsRequestBody, init: MtlsRequestInit = {}): Promise<Response> => {
    const isJson = body !== null && body !== undefined && typeof body === "object" && (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype || Object.getPrototypeOf(body) === null);
    const headers = new Headers(init.headers);
    if (isJson && !headers.has("content-type")) headers.set("content-type", "application/json");
    return doFetch(url, { ...init, method, headers, body: isJson ? JSON.stringify(body) : (body as BodyInit | null | undefined) });
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    unwatch();
    tls.close();
    agent?.destroy();
    for (const old of retiredAgents) old.destroy();
    for (const [origin, entry] of h2Sessions) {
      closeSession(origin, entry);
      entry.session.destroy();
    }
  };

  return {
    fetch: doFetch,
    get: (url, init = {}) => doFetch(url, { ...init, method: "GET" }),
    delete: (url, init = {}) => doFetch(url, { ...init, method: "DELETE" }),
    post: withBody("POST"),
    put: withBody("PUT"),
    patch: withBody("PATCH"),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** True when an agent's per-origin socket or request lists hold anything. */
function hasWork(lists: NodeJS.ReadOnlyDict<readonly unknown[]> | undefined): boolean {
  for (const list of Object.values(lists ?? {})) if (list?.length) return true;
  return false;
}
