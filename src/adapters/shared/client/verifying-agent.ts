import { Agent as HttpsAgent, type AgentOptions, type RequestOptions } from "node:https";
import type { Duplex } from "node:stream";
import type { ClientTlsConfig } from "../../../tls/client-tls.ts";
import { closedAfterHandshake } from "./closed-after-handshake.ts";

/**
 * The callback an agent hands to `createConnection`: `(null, socket)` once the connection
 * is ready, `(err)` when it failed. @types/node declares the socket as always present; Node
 * documents and handles `callback(err)` without one (http.Agent `createSocket`'s `oncreate`).
 */
type ConnectionCallback = (err: Error | null, socket?: Duplex) => void;

/**
 * An `https.Agent` whose connections are opened by the client's TLS config: pooled with
 * keep-alive, and handed to `node:https` only after the server was authenticated. It has
 * no `maxSockets`: its users limit the requests per origin before they reach it
 * (`createHttp1Pool`, `createSpiffeAgent`; see `createOriginLimiter`).
 */
export class VerifyingAgent extends HttpsAgent {
  readonly #tls: ClientTlsConfig;
  readonly #maxIdle: number;
  #retired = false;

  /**
   * @param tls Opens and authenticates every connection.
   * @param options The agent's options (without `maxSockets`, see above).
   * @param maxIdle Caps the idle connections of all origins together. Default: no cap.
   */
  constructor(tls: ClientTlsConfig, options: Omit<AgentOptions, "maxSockets" | "maxTotalSockets">, maxIdle = Number.POSITIVE_INFINITY) {
    super(options);
    this.#tls = tls;
    this.#maxIdle = maxIdle;
  }

  /**
   * Connects asynchronously, the way Node documents for custom agents: nothing is returned
   * (`undefined`, which the base signature allows), and `callback` gets the socket once the
   * TLS config authenticated the server, or the error. The callback is required here: the
   * agents of Node, Bun and Deno always pass theirs (`createSocket`). (A required callback
   * overriding an optional one is also what lets TypeScript compare the two callback types
   * bivariantly, so {@link ConnectionCallback} can say what Node really accepts.)
   */
  override createConnection(options: Pick<RequestOptions, "host" | "port">, callback: ConnectionCallback): undefined {
    this.#tls.connect(String(options.host ?? "localhost"), Number(options.port ?? 443), { ALPNProtocols: ["http/1.1"] }).then(
      (socket) => {
        if (socket.destroyed) return callback(closedAfterHandshake());
        // No setNoDelay(true) here, unlike a plain agent's connections: on Deno 2.9 it delays
        // every new connection's exchange by ~45 ms (a fresh createMtlsClient over HTTP/1.1 fell
        // from ~300 to ~21 connections/s; the same with tls.connect({ noDelay: true })).
        callback(null, socket);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
    return undefined;
  }

  /**
   * Stops pooling (after a rotation of the client's SVID or an update of its bundles): idle
   * connections close now, connections in use when their request ends.
   */
  retire(): void {
    this.#retired = true;
    for (const list of Object.values(this.freeSockets)) for (const socket of list ?? []) socket.destroy();
  }

  /** Enforces the total idle limit on top of the per-origin one; a retired agent keeps nothing. */
  override keepSocketAlive(socket: Duplex): boolean {
    if (this.#retired) return false;
    if (this.#maxIdle !== Number.POSITIVE_INFINITY) {
      let idle = 0;
      for (const list of Object.values(this.freeSockets)) idle += list?.length ?? 0;
      if (idle >= this.#maxIdle) return false;
    }
    // @types/node declares void, but Node's agent (and Bun's port of it) returns false when
    // the server's Keep-Alive timeout is too short to reuse the socket.
    const kept: unknown = super.keepSocketAlive(socket);
    return kept !== false;
  }
}
