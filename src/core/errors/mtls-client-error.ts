import { SpiffeError } from "./spiffe-error.ts";

/** Why a request or connection of an SDK TLS client failed (besides a refused server identity). */
export type MtlsClientErrorCode =
  /** The request was made on, or was still waiting for a connection of, a closed client. */
  | "ERR_MTLS_CLIENT_CLOSED"
  /**
   * The connection closed or was reset during the TLS handshake, before it completed: the
   * server is not a TLS server, its handshake timeout ran out (see Bun in
   * docs/troubleshooting.md), or it went away. Not how a SPIFFE server refuses a client
   * (that is `ERR_MTLS_CLIENT_SERVER_CLOSED`). The runtime's error, if it gave one (e.g.
   * `ECONNRESET`), is the `cause`.
   */
  | "ERR_MTLS_CLIENT_HANDSHAKE_CLOSED"
  /**
   * The server closed the connection (HTTP/1.1) or reset the stream (HTTP/2) right after the
   * handshake, before answering: that is how a SPIFFE server refuses a client whose
   * X.509-SVID it does not accept (TLS 1.3 verifies the client after the handshake completed
   * for the client).
   */
  | "ERR_MTLS_CLIENT_SERVER_CLOSED"
  /**
   * The server answered with something a Web `Response` cannot carry (a status outside
   * 200-599, a status text or header the runtime's `Response` refuses); the runtime's error is
   * the `cause`.
   */
  | "ERR_MTLS_CLIENT_INVALID_ANSWER"
  /**
   * The connection closed before the answer's body ended (a `Response`'s body stream fails
   * with it while it is read): the server or the network went away in the middle.
   */
  | "ERR_MTLS_CLIENT_BODY_INCOMPLETE"
  /**
   * The server did not negotiate HTTP/2 (ALPN `"h2"`), which gRPC and the Connect transports
   * (`createSpiffeGrpcTransport`, `createSpiffeConnectTransport`) need. Connect reports it as a
   * `ConnectError` whose `cause` is this error.
   */
  | "ERR_MTLS_CLIENT_NO_HTTP2";

/**
 * A request of an mTLS client (`createMtlsClient` of `@spiffe-ts/sdk/node`, `/bun`, `/deno`)
 * failed: the client was closed (`ERR_MTLS_CLIENT_CLOSED`), the server hung up before
 * answering (`ERR_MTLS_CLIENT_SERVER_CLOSED`, usually because it refused our SVID), it
 * answered with what no `Response` can carry (`ERR_MTLS_CLIENT_INVALID_ANSWER`), or the
 * answer's body was cut short (`ERR_MTLS_CLIENT_BODY_INCOMPLETE`). Every SDK TLS client —
 * `createMtlsClient`, `connectMtls`, `createSpiffeAgent`, `createSpiffeDispatcher` and the
 * gRPC/Connect transports — fails with it when the connection closes during the TLS
 * handshake (`ERR_MTLS_CLIENT_HANDSHAKE_CLOSED`); the Connect transports also when the
 * server does not speak HTTP/2 (`ERR_MTLS_CLIENT_NO_HTTP2`, as a `ConnectError`'s `cause`).
 * A server whose identity the client refuses fails with `X509SvidError` or
 * `AuthorizationError` instead; a bad URL or init with `InvalidArgumentError`.
 *
 * Exported from `@spiffe-ts/sdk` (and the runtime entries).
 *
 * @example
 * ```ts
 * import { MtlsClientError } from "@spiffe-ts/sdk";
 * import { createMtlsClient } from "@spiffe-ts/sdk/node";
 * const client = createMtlsClient({ source, authorizer });
 * await client.close();
 * try {
 *   await client.get("https://api.internal:8443/");
 * } catch (err) {
 *   if (err instanceof MtlsClientError && err.code === "ERR_MTLS_CLIENT_CLOSED") console.log("closed");
 * }
 * ```
 */
export class MtlsClientError extends SpiffeError<MtlsClientErrorCode> {}
