import { MtlsClientError } from "../../../core/errors/mtls-client-error.ts";

/**
 * The error for a server that hung up right after the handshake, before answering: that is
 * how a SPIFFE server refuses a client whose SVID it does not accept. `detail` says how
 * (e.g. the HTTP/2 stream's reset code).
 */
export function closedAfterHandshake(detail = "the server closed the connection", cause?: unknown): MtlsClientError {
  return new MtlsClientError("ERR_MTLS_CLIENT_SERVER_CLOSED", `${detail} before answering; a SPIFFE server does this when it refuses the client's SVID`, cause === undefined ? undefined : { cause });
}

/** Whether `err` is node:http's "socket hang up" / reset of a request that got no answer yet. */
export function isHangUp(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ECONNRESET";
}
