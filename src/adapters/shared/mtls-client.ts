import { connect as http2Connect, type ClientHttp2Session, constants as h2 } from "node:http2";
import { ConfigError } from "../../core/errors/config-error.ts";
import { SpiffeError } from "../../core/errors/spiffe-error.ts";
import { jwtSvidAuthorizer } from "../../http/jwt-svid-bearer.ts";
import { bindPeerIdentity, peerIdentityOf } from "../../http/peer-identity.ts";
import type { ClientOptions, MtlsClient, MtlsRequestBody, MtlsRequestInit } from "../../http/mtls-client-types.ts";
import { createClientTlsConfig } from "../../tls/client-tls.ts";
import { validateClientOptions } from "./options.ts";
import type { RuntimeProfile } from "./runtime-profile.ts";
import { CONNECTION_SPECIFIC_FIELDS } from "./http-fields.ts";
import { closedAfterHandshake } from "./client/closed-after-handshake.ts";
import { createHttp1Pool } from "./client/http1-pool.ts";
import { type OutgoingRequest, outgoingRequest } from "./client/outgoing-request.ts";
import { pipeBody } from "./client/pipe-body.ts";
import { requestDeadline } from "./client/request-deadline.ts";
import { toResponse } from "./client/to-response.ts";
import { hostOf, portOf } from "./client/url-endpoint.ts";

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
  const http1 = createHttp1Pool(config, tls);
  const h2Sessions = new Map<string, H2Entry>();
  const http1Origins = new Set<string>();
  let closed = false;

  const unwatch = tls.onCredentialsChange(() => {
    // New connections present the new SVID (or none can be made while there is none);
    // connections already open keep working.
    http1.retire();
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
    return entry ? sendHttp2(entry, request, url, signal, done) : http1.send(request, signal, done);
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
    http1.close();
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
