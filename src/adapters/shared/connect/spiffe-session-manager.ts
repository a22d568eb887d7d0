// The HTTP/2 session manager behind the SDK's Connect transports: every session runs on a
// connection from the client tlsconfig (src/tls), so no RPC byte reaches a server before its
// X.509-SVID is verified and its ID authorized. Sessions are the pool of createMtlsClient
// (client/http2-sessions.ts); a rotation of the client's SVID or an update of its source's
// bundles retires them, so the next call connects again with the current SVID and bundles. Internal.
import type { ClientHttp2Stream, ClientSessionRequestOptions, OutgoingHttpHeaders } from "node:http2";
import { MtlsClientError } from "../../../core/errors/mtls-client-error.ts";
import type { ClientTlsConfig } from "../../../tls/client-tls.ts";
import { createHttp2Sessions, type PooledSession } from "../client/http2-sessions.ts";
import { onRotation, type RotatingSource } from "../client/on-rotation.ts";
import { requestDeadline } from "../client/request-deadline.ts";

/** Connect's `NodeHttp2ClientSessionManager`, plus `close()`. */
export interface SpiffeSessionManager {
  readonly authority: string;
  request(method: string, path: string, headers: OutgoingHttpHeaders, options: Omit<ClientSessionRequestOptions, "signal">): Promise<ClientHttp2Stream>;
  notifyResponseByteRead(stream: ClientHttp2Stream): void;
  close(): void;
}

/**
 * @param source The client's source: its updates (e.g. new bundles) retire the sessions too.
 * @param url The server's `https://host:port` origin.
 * @param connectTimeoutMs How long connecting (TCP, TLS and verification) may take.
 * @param idleTimeoutMs How long a session without calls stays open.
 */
export function createSpiffeSessionManager(tls: ClientTlsConfig, source: RotatingSource, url: URL, connectTimeoutMs: number, idleTimeoutMs: number): SpiffeSessionManager {
  const sessions = createHttp2Sessions(tls, true, idleTimeoutMs);
  // The session calls go to, until it closes, gets a GOAWAY, the client's SVID changes
  // or the source's bundles change (then the pool retires it and the next call dials with the
  // current SVID and bundles).
  let current: PooledSession | undefined;
  const unwatch = onRotation(tls, source, () => {
    current = undefined;
    sessions.retireAll();
  });
  // One dial at a time: calls that start together share the connection being made.
  let pending: Promise<PooledSession> | undefined;
  const dial = (): Promise<PooledSession> => {
    if (pending) return pending;
    const deadline = requestDeadline(connectTimeoutMs);
    return (pending = sessions.sessionFor(url, deadline).then((s) => {
      if (!s) throw new MtlsClientError("ERR_MTLS_CLIENT_NO_HTTP2", `${url.origin} did not negotiate HTTP/2 (ALPN "h2"), which gRPC and these Connect transports need`);
      const forget = (): void => {
        if (current === s) current = undefined;
      };
      s.session.once("close", forget);
      s.session.once("goaway", forget);
      if (!s.session.closed && !s.session.destroyed) current = s;
      return s;
    }).finally(() => {
      pending = undefined;
      deadline.done();
    }));
  };
  return {
    authority: url.origin,
    async request(method, path, headers, options) {
      const s = current && !current.session.closed && !current.session.destroyed ? current : await dial();
      return s.openStream({ ...headers, ":method": method, ":path": path }, options, () => {});
    },
    notifyResponseByteRead() {
      // no keep-alive pings: idle sessions are closed by the pool
    },
    close() {
      current = undefined;
      unwatch();
      sessions.close();
      tls.close();
    },
  };
}
