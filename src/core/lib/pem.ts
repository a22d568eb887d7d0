// PEM (RFC 7468) encoding and strict decoding. Not exported from the package.
import { decodeBase64, encodeBase64 } from "./bytes.ts";

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array<ArrayBuffer>;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** True when the text looks like PEM (has a BEGIN line), so callers pick PEM vs DER. */
export function looksLikePem(text: string): boolean {
  return text.includes("-----BEGIN ");
}

/**
 * Decodes every PEM block in `text`. Text between blocks is ignored (as OpenSSL does);
 * a block with mismatched labels or invalid base64 is an error (returned as a string
 * describing the problem, so each caller throws its own typed error).
 */
export function decodePem(text: string): PemBlock[] | string {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, begin, body, end] = m as unknown as [string, string, string, string];
    if (begin !== end) return `PEM block "BEGIN ${begin}" ends with "END ${end}"`;
    const b64 = body.replace(/[\r\n\t ]/g, "");
    if (/^[A-Za-z-]+:/m.test(body)) return `PEM block "${begin}" has headers (encrypted keys are not supported)`;
    const der = decodeBase64(b64);
    if (!der || der.length === 0) return `PEM block "${begin}" has invalid base64`;
    blocks.push({ label: begin, der });
  }
  if (blocks.length === 0) return "no PEM block found";
  return blocks;
}

/** Encodes DER as one PEM block with 64-character lines. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = encodeBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
