// Bun's cheapest way to the peer's certificate chain. Bun's node:tls runs on BoringSSL, and
// `getSession()` hands out the connection's SSL_SESSION serialized by BoringSSL, which keeps the
// peer's certificates exactly as they were sent: the leaf in field [3], the rest in order in
// field [19] (BoringSSL ssl/ssl_asn1.cc, SSL_SESSION_to_bytes). Reading them from there costs a
// few µs; `getPeerCertificate(true)` (~50-100 µs per call on Bun 1.4) decodes every certificate
// into a JavaScript object with three fingerprints that nothing here reads.
import type { TLSSocket } from "node:tls";
import { MAX_PEER_CHAIN, peerChainOf } from "../../tls/peer-chain.ts";

const SEQUENCE = 0x30;
/** `peer [3] Certificate OPTIONAL` (constructed, context-specific 3). */
const PEER_TAG = 0xa3;
/** `certChain [19] SEQUENCE OF Certificate OPTIONAL`: the peer's certificates after the leaf. */
const CHAIN_TAG = 0xb3;

/**
 * The peer's chain, as sent, read from the socket's BoringSSL session; read with
 * `getPeerCertificate(true)` instead (see {@link peerChainOf}) when the session holds no leaf
 * (a peer that sent none, a session that keeps only the leaf's hash) or is not in the form
 * above. The session bytes are zeroed once read (they hold the session's secret).
 */
export function peerChainFromSession(socket: Pick<TLSSocket, "getSession" | "getPeerCertificate">): Uint8Array[] {
  const session = socket.getSession();
  if (!session) return peerChainOf(socket);
  // A plain view: a Buffer's slice() shares memory, and the certificates must outlive the zeroing.
  const bytes = new Uint8Array(session.buffer, session.byteOffset, session.byteLength);
  try {
    return certificatesOf(bytes) ?? peerChainOf(socket);
  } finally {
    bytes.fill(0);
  }
}

/** The certificates in fields [3] and [19] of a serialized SSL_SESSION, or undefined. */
function certificatesOf(bytes: Uint8Array): Uint8Array[] | undefined {
  const session = elementAt(bytes, 0, bytes.length);
  if (!session || session.tag !== SEQUENCE || session.end !== bytes.length) return undefined;
  let leaf: Uint8Array | undefined;
  const rest: Uint8Array[] = [];
  for (let at = session.start; at < session.end; ) {
    const field = elementAt(bytes, at, session.end);
    if (!field) return undefined;
    if (field.tag === PEER_TAG) {
      const cert = elementAt(bytes, field.start, field.end);
      if (!cert || cert.tag !== SEQUENCE || cert.end !== field.end) return undefined;
      leaf = bytes.slice(field.start, field.end);
    } else if (field.tag === CHAIN_TAG) {
      for (let c = field.start; c < field.end; ) {
        const cert = elementAt(bytes, c, field.end);
        if (!cert || cert.tag !== SEQUENCE) return undefined;
        if (rest.length < MAX_PEER_CHAIN) rest.push(bytes.slice(c, cert.end));
        c = cert.end;
      }
    }
    at = field.end;
  }
  return leaf ? [leaf, ...rest].slice(0, MAX_PEER_CHAIN) : undefined;
}

/** One DER element (single-byte tag, definite length) starting at `at` and ending by `limit`. */
function elementAt(bytes: Uint8Array, at: number, limit: number): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > limit) return undefined;
  const tag = bytes[at]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags never occur in a session
  let length = bytes[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) return undefined; // no indefinite lengths in DER
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}
