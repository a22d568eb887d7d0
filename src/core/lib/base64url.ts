// Base64url (RFC 4648 §5, no padding) as JOSE uses it. Not exported from the package.
import { decodeBase64, encodeBase64 } from "./bytes.ts";

/** Strict unpadded base64url decode (RFC 7515 §2); returns undefined for invalid input. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = decodeBase64(std + "=".repeat((4 - (std.length % 4)) % 4));
  // Reject non-canonical encodings (unused trailing bits set), so one value has one spelling.
  if (bytes === undefined || encodeBase64Url(bytes) !== text) return undefined;
  return bytes;
}

/** Unpadded base64url encode. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
