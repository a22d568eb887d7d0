/**
 * The error for a server that hung up right after the handshake, before answering: that is
 * how a SPIFFE server refuses a client whose SVID it does not accept.
 */
export function closedAfterHandshake(): Error {
  return new Error("the server closed the connection before answering; a SPIFFE server does this when it refuses the client's SVID");
}
