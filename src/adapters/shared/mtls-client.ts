// createMtlsClient, composed: the client's TLS config opens every connection; HTTP/2
// sessions are tried first (when enabled) and an origin that answers ALPN with http/1.1
// goes to the HTTP/1.1 pool. A rotation of the client's SVID or an update of its source's
// bundles retires the connections of both (idle ones at once, busy ones after their requests).
import { jwtSvidAuthorizer } from "../../http/jwt-svid-bearer.ts";
import type { ClientOptions, MtlsClient, MtlsRequestInit } from "../../http/mtls-client-types.ts";
import { createClientTlsConfigWith } from "../../tls/client-tls.ts";
import { bodyMethod } from "./client/body-method.ts";
import { clientClosed } from "./client/client-closed.ts";
import { createHttp1Pool } from "./client/http1-pool.ts";
import { exchangeHttp2 } from "./client/http2-exchange.ts";
import { createHttp2Sessions } from "./client/http2-sessions.ts";
import { onRotation } from "./client/on-rotation.ts";
import { type OutgoingRequest, outgoingRequest } from "./client/outgoing-request.ts";
import { type RequestDeadline, requestDeadline } from "./client/request-deadline.ts";
import { validateClientOptions } from "./options.ts";
import type { RuntimeProfile } from "./runtime-profile.ts";

/**
 * Creates an HTTP client that speaks SPIFFE TLS (see {@link MtlsClient}) with a runtime's
 * defaults. The runtime entries bind it to their profile as `createMtlsClient` (documented
 * by `CreateMtlsClient` in entry.ts). Connections negotiate HTTP/2 or HTTP/1.1 with ALPN:
 * an HTTP/2 server gets one multiplexed connection per origin; HTTP/1.1 connections are
 * pooled with keep-alive.
 *
 * @throws {ConfigError} for invalid options; the source's error when it has no SVID.
 */
export function createMtlsClientWith(profile: RuntimeProfile, options: ClientOptions): MtlsClient {
  const config = validateClientOptions(options);
  const addJwtSvid = jwtSvidAuthorizer(options.jwtSvid);
  const tls = createClientTlsConfigWith(profile.readPeerChain, {
    mode: options.mode,
    source: options.source,
    authorizer: "authorizer" in options ? options.authorizer : undefined,
    ca: "ca" in options ? options.ca : undefined, // createClientTlsConfig refuses it outside mtls-web
    logger: config.logger,
    now: config.now,
  });
  const http1 = createHttp1Pool(config, tls, profile.clientSmallBodies);
  const http2 = createHttp2Sessions(tls, options.http2 ?? profile.clientHttp2ByDefault, config.pool.idleTimeoutMs);
  let closed = false;

  const unwatch = onRotation(tls, options.source ?? {}, () => {
    // New connections present the current SVID and are verified with the current bundles (or
    // none can be made while there is no SVID); requests in flight finish; idle connections
    // close, busy ones after their last request.
    http1.retire();
    http2.retireAll();
  });

  /** Sends over the origin's HTTP/2 session, or over HTTP/1.1 when the origin has none. */
  async function send(request: OutgoingRequest, deadline: RequestDeadline, done: () => void): Promise<Response> {
    const { url } = request;
    const session = await http2.sessionFor(url, deadline);
    return session ? exchangeHttp2(session, request, deadline, done, profile.clientSmallBodies) : http1.send(request, deadline, done);
  }

  const doFetch = async (input: string | URL | Request, init: MtlsRequestInit = {}): Promise<Response> => {
    if (closed) throw clientClosed();
    // init goes on as it is: `timeoutMs` is no RequestInit member, so a Request ignores it (no copy without it per request).
    const deadline = requestDeadline(init.timeoutMs ?? config.timeoutMs, init.signal, input instanceof Request ? input.signal : undefined);
    const { done } = deadline;
    try {
      const request = outgoingRequest(input, init, deadline);
      await addJwtSvid?.(request.headers);
      if (closed) throw clientClosed(); // closed while the token was fetched
      return await send(request, deadline, done);
    } catch (err) {
      done();
      throw err;
    }
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    unwatch();
    tls.close();
    http1.close();
    http2.close();
  };

  return {
    fetch: doFetch,
    get: (url, init = {}) => doFetch(url, { ...init, method: "GET" }),
    delete: (url, init = {}) => doFetch(url, { ...init, method: "DELETE" }),
    post: bodyMethod(doFetch, "POST"),
    put: bodyMethod(doFetch, "PUT"),
    patch: bodyMethod(doFetch, "PATCH"),
    close,
    [Symbol.asyncDispose]: close,
  };
}
