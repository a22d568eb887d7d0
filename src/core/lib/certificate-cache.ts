// A small LRU of parsed certificates keyed by their exact DER bytes. A peer presents the
// same chain on every connection until it rotates, and parsing costs more than looking the
// bytes up. Only the parse is cached, never a verification result: every verifyX509Svid
// call still checks dates, signatures and rules. Not exported.
import { bytesDigest } from "./bytes-digest.ts";
import { bytesEqual } from "./bytes.ts";
import { type CertificateInfo, readCertificate } from "./certificate.ts";

const MAX_ENTRIES = 256;
/** Certificates larger than this are parsed every time (a real SVID is under 2 KiB). */
const MAX_CACHED_BYTES = 16 * 1024;
/**
 * Indexed by {@link bytesDigest} of the last {@link KEY_BYTES} bytes (see {@link cacheKey}); a
 * hit also needs the exact bytes.
 */
const cache = new Map<number, CertificateInfo>();
/**
 * A certificate ends with its signature value, bytes no two certificates share unless one
 * copies the other's: digesting them indexes as well as digesting the whole DER, for a tenth
 * of the work on every lookup. Certificates sharing their last bytes (a forged copy's) only
 * take each other's slot: a miss and a parse, never a wrong answer.
 */
const KEY_BYTES = 64;

function cacheKey(der: Uint8Array): number {
  return bytesDigest([der.length > KEY_BYTES ? der.subarray(der.length - KEY_BYTES) : der]);
}

/**
 * Like `readCertificate`, served from the cache when the same DER was parsed recently.
 * `der` may be the caller's bytes: it is only read here, and a miss parses a private copy
 * (the parsed certificate keeps views into its DER, which the caller could change later).
 */
export function readCertificateCached(der: Uint8Array): CertificateInfo | string {
  if (der.length > MAX_CACHED_BYTES) return readCertificate(der.slice());
  const key = cacheKey(der);
  const hit = cache.get(key);
  if (hit && bytesEqual(hit.der, der)) {
    cache.delete(key); // move to the most recent end
    cache.set(key, hit);
    return hit;
  }
  const info = readCertificate(der.slice());
  if (typeof info !== "string") {
    cache.delete(key); // a colliding entry (other bytes) gives way
    cache.set(key, info);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return info;
}
