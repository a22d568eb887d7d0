// A small LRU of parsed certificates keyed by their exact DER bytes. A peer presents the
// same chain on every connection until it rotates, and parsing (asn1js) costs more than the
// signature checks. Only the parse is cached, never a verification result: every
// verifyX509Svid call still checks dates, signatures and rules. Not exported.
import { type CertificateInfo, readCertificate } from "../../lib/certificate.ts";

const MAX_ENTRIES = 256;
/** Certificates larger than this are parsed every time (a real SVID is under 2 KiB). */
const MAX_CACHED_BYTES = 16 * 1024;
const cache = new Map<string, CertificateInfo>();

/** Like `readCertificate`, served from the cache when the same DER was parsed recently. */
export function readCertificateCached(der: Uint8Array<ArrayBuffer>): CertificateInfo | string {
  if (der.length > MAX_CACHED_BYTES) return readCertificate(der);
  const key = latin1(der);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // move to the most recent end
    cache.set(key, hit);
    return hit;
  }
  const info = readCertificate(der);
  if (typeof info !== "string") {
    cache.set(key, info);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return info;
}

// WHATWG "latin1" (windows-1252) maps each of the 256 byte values to a distinct code point,
// so the decoded string is an exact, cheap key for the bytes.
let decoder: TextDecoder | undefined;

function latin1(bytes: Uint8Array): string {
  decoder ??= new TextDecoder("latin1");
  return decoder.decode(bytes);
}
