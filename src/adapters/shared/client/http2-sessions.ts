import { type ClientHttp2Session, type ClientHttp2Stream, type ClientSessionRequestOptions, connect as http2Connect, type OutgoingHttpHeaders } from "node:http2";
import { bindPeerIdentity, peerIdentityOf } from "../../../http/peer-identity.ts";
import type { ClientTlsConfig } from "../../../tls/client-tls.ts";
import { clientClosed } from "./client-closed.ts";
import { IdleTimer } from "../idle-timer.ts";
import { closedAfterHandshake } from "./closed-after-handshake.ts";
import type { RequestDeadline } from "./request-deadline.ts";
import { hostOf, portOf } from "./url-endpoint.ts";

/** An origin's multiplexed HTTP/2 session, shared by the requests to that origin. */
export interface PooledSession {
  /** The session; the server's verified identity is bound to it (`peerIdentityOf(session)`). */
  readonly session: ClientHttp2Session;
  /**
   * Opens a stream on the session, which stays open while any stream runs and closes
   * after `idleTimeoutMs` without one.
   *
   * @param onClose Called when the stream closes, before the session's idle count is updated.
   */
  openStream(headers: OutgoingHttpHeaders, options: ClientSessionRequestOptions, onClose: () => void): ClientHttp2Stream;
}

/** The client's HTTP/2 sessions: one per origin that answers ALPN with `h2`. */
export interface Http2Sessions {
  /**
   * The origin's session, connecting (and authenticating the server) when there is none.
   * Resolves with `undefined` when the request must go over HTTP/1.1: HTTP/2 is off, or
   * the origin chose `http/1.1` in ALPN (remembered: later requests do not ask again).
   *
   * @throws the TLS config's error (no SVID, server refused), or {@link closedAfterHandshake}.
   */
  sessionFor(url: URL, deadline: Pick<RequestDeadline, "aborted" | "reason" | "signal">): Promise<PooledSession | undefined>;
  /** After the client's SVID rotated or was lost: closes the sessions with no stream in flight (busy ones finish). */
  /**
   * Takes every session out of the pool (after a rotation or an identity loss: new requests
   * open a new connection with the current SVID): idle ones close now, busy ones once their
   * last stream ends.
   */
  retireAll(): void;
  /** Closes every session. */
  close(): void;
}

/** A session as the pool holds it: what requests use, and what the pool needs to retire it. */
interface HeldSession extends PooledSession {
  /** Leaves the pool: closes now when idle, else when its last stream ends. */
  retire(): void;
  /** Destroys the session (and any stream still on it) and forgets it. */
  close(): void;
}

/**
 * Creates the HTTP/2 session pool of a client.
 *
 * @param enabled Whether to offer `h2` in ALPN at all (the `http2` option).
 * @param idleTimeoutMs How long a session without streams stays open (`pool.idleTimeoutMs`).
 */
export function createHttp2Sessions(tls: ClientTlsConfig, enabled: boolean, idleTimeoutMs: number): Http2Sessions {
  const sessions = new Map<string, HeldSession>();
  const http1Origins = new Set<string>();
  let closed = false;

  const forget = (origin: string, entry: HeldSession): void => {
    if (sessions.get(origin) === entry) sessions.delete(origin);
  };

  function hold(origin: string, session: ClientHttp2Session): HeldSession {
    let active = 0;
    let retired = false;
    const idle = new IdleTimer(idleTimeoutMs, () => active > 0, () => entry.close());
    const entry: HeldSession = {
      session,
      openStream(headers, options, onClose) {
        active++;
        const stream = session.request(headers, options);
        stream.once("close", () => {
          onClose();
          active--;
          if (active > 0 || closed) return;
          if (retired) return entry.close();
          idle.idle();
        });
        return stream;
      },
      retire() {
        retired = true;
        forget(origin, entry);
        if (active === 0) entry.close();
      },
      close() {
        forget(origin, entry);
        idle.stop();
        // destroy, not close: with nothing in flight a GOAWAY exchange buys nothing, and
        // Deno 2.9's nghttp2 binding can abort the process on GOAWAY processing.
        session.destroy();
      },
    };
    // A session no request ended up using (its requests gave up while it connected) closes like an idle one.
    idle.idle();
    session.on("error", () => {}); // surfaced on the streams
    session.once("close", () => {
      forget(origin, entry);
      idle.stop();
    });
    session.once("goaway", () => forget(origin, entry));
    return entry;
  }

  /**
   * Connects to `origin` and pools the session (undefined: the origin speaks HTTP/1.1). One
   * dial per origin at a time: the requests that arrive while it runs wait for it instead of
   * each opening a connection. `signal` aborts the dial (all its waiters gave up).
   */
  async function dial(url: URL, signal: AbortSignal): Promise<HeldSession | undefined> {
    const origin = url.origin;
    const socket = await tls.connect(hostOf(url), portOf(url), { ALPNProtocols: ["h2", "http/1.1"], signal });
    if (socket.destroyed) throw closedAfterHandshake();
    if (socket.alpnProtocol !== "h2") {
      http1Origins.add(origin); // speak HTTP/1.1 to this origin from now on
      socket.destroy();
      return undefined;
    }
    if (closed) {
      socket.destroy();
      throw clientClosed(); // closed while it connected
    }
    const session = http2Connect(origin, { createConnection: () => socket });
    socket.once("close", () => session.destroy()); // a refusal right after the handshake ends pending streams
    const entry = hold(origin, session);
    const peer = peerIdentityOf(socket);
    if (peer) bindPeerIdentity(session, peer);
    sessions.set(origin, entry);
    return entry;
  }

  /** Dials in progress, by origin, with how many requests still wait for each. */
  const dials = new Map<string, { readonly result: Promise<HeldSession | undefined>; readonly abort: AbortController; waiting: number }>();

  return {
    async sessionFor(url, deadline) {
      const origin = url.origin;
      const existing = sessions.get(origin);
      if (existing && !existing.session.closed && !existing.session.destroyed) return existing;
      if (!enabled || http1Origins.has(origin)) return undefined;
      if (deadline.aborted) throw deadline.reason;
      const signal = deadline.signal; // made only by requests that wait for a connection
      let pending = dials.get(origin);
      if (!pending) {
        const abort = new AbortController();
        const result = dial(url, abort.signal);
        const entry = { result, abort, waiting: 0 };
        dials.set(origin, entry);
        const forgetDial = (): void => void (dials.get(origin) === entry && dials.delete(origin));
        result.then(forgetDial, forgetDial);
        pending = entry;
      }
      const dialing = pending;
      dialing.waiting++;
      // Each request waits with its own signal; the dial is aborted only when no request waits for it.
      return new Promise<HeldSession | undefined>((resolve, reject) => {
        let waiting = true;
        const stopWaiting = (): void => {
          if (!waiting) return;
          waiting = false;
          dialing.waiting--;
          signal.removeEventListener("abort", onAbort);
        };
        const onAbort = (): void => {
          stopWaiting();
          if (dialing.waiting === 0) dialing.abort.abort(signal.reason);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        dialing.result.then(
          (entry) => {
            stopWaiting();
            resolve(entry);
          },
          (err: unknown) => {
            stopWaiting();
            reject(err);
          },
        );
      });
    },
    retireAll() {
      for (const entry of [...sessions.values()]) entry.retire();
    },
    close() {
      closed = true;
      for (const entry of sessions.values()) entry.close();
    },
  };
}
