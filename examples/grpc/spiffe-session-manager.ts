// An HTTP/2 session manager for Connect's Node transports whose every connection is a
// SPIFFE mTLS connection from `connectMtls`: the server's X.509-SVID is verified and its
// SPIFFE ID authorized before the HTTP/2 session starts, so no RPC byte reaches an
// unverified server.
//
// Why not `nodeOptions.createConnection`? Node's `http2.connect` calls it synchronously
// and wants a socket at once, while `connectMtls` resolves only after verification. So
// this manager establishes the verified socket first and then hands it to
// `http2.connect({ createConnection: () => socket })`.
//
// Reconnects: one session is shared by all calls. When it closes (server restart, GOAWAY,
// idle timeout, network error), the next call opens a new verified socket, with a fresh
// handshake against the source's current SVID and bundles (rotations are picked up). A
// failed handshake fails the calls waiting for it; the next call tries again.
import type { GrpcTransportOptions } from "@connectrpc/connect-node";
import * as http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import type { SpiffeId } from "../../mod.ts"; // "@spiffe-ts/sdk"
import { getPeerId } from "../../src/adapters/node/mod.ts"; // "@spiffe-ts/sdk/node"

type SessionManager = NonNullable<GrpcTransportOptions["sessionManager"]>;

/** Opens a verified TLS socket to `host:port`, e.g. `connectMtls(host, port, { source, authorizer, ALPNProtocols: ["h2"] })`. */
export type ConnectVerified = (host: string, port: number) => Promise<TLSSocket>;

export class SpiffeSessionManager implements SessionManager {
  readonly authority: string;
  readonly #host: string;
  readonly #port: number;
  readonly #connect: ConnectVerified;
  #session: http2.ClientHttp2Session | undefined;
  #pending: Promise<http2.ClientHttp2Session> | undefined;
  #serverId: SpiffeId | undefined;

  /** `baseUrl`: the server's `https://host:port`; `connect`: how to open a verified socket. */
  constructor(baseUrl: string, connect: ConnectVerified) {
    const url = new URL(baseUrl);
    this.authority = url.origin;
    this.#host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    this.#port = Number(url.port || 443);
    this.#connect = connect;
  }

  /** The verified SPIFFE ID of the server of the last session, once connected. */
  get serverId(): SpiffeId | undefined {
    return this.#serverId;
  }

  async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream> {
    for (let attempt = 1; ; attempt++) {
      const session = await this.#ready();
      try {
        return session.request({ ...headers, ":method": method, ":path": path }, options);
      } catch (err) {
        // the session closed between connecting and this request: once more on a new one
        if (attempt < 2 && (session.closed || session.destroyed)) continue;
        throw err;
      }
    }
  }

  notifyResponseByteRead(): void {
    // no keep-alive pings here, so nothing to record
  }

  /** Closes the current session (in-flight calls finish first). */
  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  #ready(): Promise<http2.ClientHttp2Session> {
    const s = this.#session;
    if (s && !s.closed && !s.destroyed) return Promise.resolve(s);
    this.#pending ??= this.#open().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #open(): Promise<http2.ClientHttp2Session> {
    const socket = await this.#connect(this.#host, this.#port); // rejects unless the server is verified and authorized
    const session = http2.connect(this.authority, { createConnection: () => socket });
    await new Promise<void>((resolve, reject) => {
      session.once("connect", () => resolve());
      session.once("error", reject);
    });
    session.on("error", () => {}); // reported to the calls through their streams
    session.once("close", () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.once("goaway", () => {
      if (this.#session === session) this.#session = undefined; // new calls go to a new session
    });
    this.#session = session;
    this.#serverId = getPeerId(socket);
    return session;
  }
}
