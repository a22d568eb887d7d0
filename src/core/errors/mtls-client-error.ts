import { SpiffeError } from "./spiffe-error.ts";

/** Why a request of a `createMtlsClient` client failed (besides a refused server identity). */
export type MtlsClientErrorCode =
  /** The request was made on, or was still waiting for a connection of, a closed client. */
  | "ERR_MTLS_CLIENT_CLOSED"
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
  | "ERR_MTLS_CLIENT_INVALID_ANSWER";

/**
 * A request of an mTLS client (`createMtlsClient` of `@spiffe-ts/sdk/node`, `/bun`, `/deno`)
 * failed: the client was closed (`ERR_MTLS_CLIENT_CLOSED`), the server hung up before
 * answering (`ERR_MTLS_CLIENT_SERVER_CLOSED`, usually because it refused our SVID), or it
 * answered with what no `Response` can carry (`ERR_MTLS_CLIENT_INVALID_ANSWER`). A server
 * whose identity the client refuses fails with `X509SvidError` or `AuthorizationError`
 * instead; a bad URL or init with `InvalidArgumentError`.
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
