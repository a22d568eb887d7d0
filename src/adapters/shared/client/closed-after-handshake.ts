import { MtlsClientError } from "../../../core/errors/mtls-client-error.ts";

/**
 * The error for a server that hung up right after the handshake, before answering: that is
 * how a SPIFFE server refuses a client whose SVID it does not accept. `detail` says how
 * (e.g. the HTTP/2 stream's reset code).
 */
export function closedAfterHandshake(detail = "the server closed the connection"): MtlsClientError {
  return new MtlsClientError("ERR_MTLS_CLIENT_SERVER_CLOSED", `${detail} before answering; a SPIFFE server does this when it refuses the client's SVID`);
}
