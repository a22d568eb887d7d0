import type { DetailedPeerCertificate, TLSSocket } from "node:tls";

/** Most certificates read from a peer's handshake; longer chains are cut (and then fail verification). */
const MAX_CHAIN = 32;

/**
 * The peer's certificate chain exactly as it sent it (leaf first, DER), read with
 * `getPeerCertificate(true)`. Untrusted input: only the core decides what it proves.
 * Empty when the peer sent no certificate.
 */
export function peerChainOf(socket: TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  while (cert?.raw && chain.length < MAX_CHAIN) {
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
