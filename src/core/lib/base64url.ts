// Base64url (RFC 4648 §5, no padding) as JOSE uses it. Not exported from the package.
import { encodeBase64 } from "./bytes.ts";

/** Value of each base64url character by char code (-1: not in the alphabet). */
const VALUES: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * Strict unpadded base64url decode (RFC 7515 §2); returns undefined for invalid input. One
 * pass, no intermediate strings (JWT-SVID validation decodes three parts per token).
 */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  const n = text.length;
  if (n % 4 === 1) return undefined;
  const out = new Uint8Array((n * 3) >> 2);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? VALUES[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  // Reject non-canonical encodings (unused trailing bits set), so one value has one spelling.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** Unpadded base64url encode. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
