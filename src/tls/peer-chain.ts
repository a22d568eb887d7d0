import type { DetailedPeerCertificate, TLSSocket } from "node:tls";

/** Most certificates read from a peer's handshake; longer chains are cut (and then fail verification). */
export const MAX_PEER_CHAIN = 32;

/**
 * Reads the certificate chain the peer of a socket sent in the handshake that just completed:
 * DER, leaf first, in the order it was sent, empty when the peer sent no certificate.
 * Untrusted input: only the core decides what it proves. Each runtime hands in the cheapest
 * reader it offers (its `RuntimeProfile.readPeerChain`); {@link peerChainOf} works everywhere.
 */
export type PeerChainReader = (socket: TLSSocket) => Uint8Array[];

/**
 * The peer's certificate chain read with `getPeerCertificate(true)`, the portable reader:
 * the as-sent chain on Bun and Deno; Node (OpenSSL) keeps the leaf and the certificates that
 * issue one another from it, in issuing order. Empty when the peer sent no certificate.
 */
export function peerChainOf(socket: Pick<TLSSocket, "getPeerCertificate">): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  while (cert?.raw && chain.length < MAX_PEER_CHAIN) {
    const der = new Uint8Array(cert.raw);
    if (chain.some((c) => sameBytes(c, der))) break; // a self-signed cert points at itself
    chain.push(der);
    cert = cert.issuerCertificate;
  }
  return chain;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}
