// A small DER writer for hand-built test certificates: every TLV is made here, so a test can
// produce both canonical DER and deliberately wrong encodings (non-minimal lengths, bad
// BOOLEANs, raw contents). Tests only; never imported by src/.

import { concatBytes } from "../../../src/testing/lib/concat-bytes.ts";

/** Bytes of one or more encoded ASN.1 values. */
export type Der = Uint8Array<ArrayBuffer>;

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Der {
  return concatBytes(parts);
}

/**
 * The DER length octets of `length`; with `minOctets`, the long form padded with leading
 * zero octets to at least that many length octets (a non-minimal, BER-only encoding).
 */
export function encodeLength(length: number, minOctets = 0): Der {
  if (length < 0x80 && minOctets === 0) return new Uint8Array([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  while (octets.length < Math.max(1, minOctets)) octets.unshift(0);
  return new Uint8Array([0x80 | octets.length, ...octets]);
}

/** Options of {@link tlv}. */
export interface TlvOptions {
  /** Encode the length in the long form with at least this many octets (non-minimal). */
  lengthOctets?: number;
}

/** One tag-length-value with a one-octet `tag` (all tags used in certificates fit). */
export function tlv(tag: number, content: Uint8Array, options: TlvOptions = {}): Der {
  return concat(new Uint8Array([tag]), encodeLength(content.length, options.lengthOctets), content);
}

/** SEQUENCE of the given encoded values. */
export function seq(...items: readonly Uint8Array[]): Der {
  return tlv(0x30, concat(...items));
}

/** SET OF the given encoded values, in the order given (DER sorts them: pass them sorted). */
export function set(...items: readonly Uint8Array[]): Der {
  return tlv(0x31, concat(...items));
}

/** Minimal two's-complement content octets of an INTEGER. */
export function integerContent(value: bigint | number): Der {
  let v = BigInt(value);
  const sign = v < 0n ? -1n : 0n;
  const out: number[] = [];
  do {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!(v === sign && (out[0]! & 0x80) === (sign ? 0x80 : 0)));
  return new Uint8Array(out);
}

/** INTEGER (minimal encoding). */
export function integer(value: bigint | number): Der {
  return tlv(0x02, integerContent(value));
}

/** An unsigned big-endian byte string as a positive INTEGER (a leading 0x00 added when needed). */
export function unsignedInteger(bytes: Uint8Array): Der {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed);
}

/** OBJECT IDENTIFIER from dotted text ("1.2.840.113549.1.1.11"). */
export function oid(dotted: string): Der {
  const arcs = dotted.split(".").map((a) => BigInt(a));
  if (arcs.length < 2) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (arc: bigint): void => {
    const bytes = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, new Uint8Array(out));
}

/** BOOLEAN; DER allows only 0x00 and 0xFF (`raw` gives any content octet). */
export function boolean(value: boolean, raw?: number): Der {
  return tlv(0x01, new Uint8Array([raw ?? (value ? 0xff : 0x00)]));
}

/** NULL. */
export function nullValue(): Der {
  return new Uint8Array([0x05, 0x00]);
}

/** OCTET STRING. */
export function octetString(content: Uint8Array): Der {
  return tlv(0x04, content);
}

/** BIT STRING with `unusedBits` unused bits in the last octet (their values are kept as given). */
export function bitString(content: Uint8Array, unusedBits = 0): Der {
  return tlv(0x03, concat(new Uint8Array([unusedBits]), content));
}

const text = new TextEncoder();

/** UTF8String. */
export function utf8String(s: string): Der {
  return tlv(0x0c, text.encode(s));
}

/** PrintableString (no check of the alphabet: tests may break it on purpose). */
export function printableString(s: string): Der {
  return tlv(0x13, text.encode(s));
}

/** IA5String. */
export function ia5String(s: string): Der {
  return tlv(0x16, text.encode(s));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** UTCTime "YYMMDDHHMMSSZ" (years 1950–2049). */
export function utcTime(d: Date): Der {
  const s = `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(0x17, text.encode(s));
}

/** GeneralizedTime "YYYYMMDDHHMMSSZ". */
export function generalizedTime(d: Date): Der {
  const s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(0x18, text.encode(s));
}

/** A Time as RFC 5280 §4.1.2.5 wants it: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(d: Date): Der {
  return d.getUTCFullYear() < 2050 ? utcTime(d) : generalizedTime(d);
}

/** A raw time value of the given tag (0x17 UTCTime, 0x18 GeneralizedTime) and text. */
export function rawTime(tag: 0x17 | 0x18, s: string): Der {
  return tlv(tag, text.encode(s));
}

/** [n] EXPLICIT: a constructed context-specific tag around one encoded value. */
export function explicit(n: number, inner: Uint8Array): Der {
  return tlv(0xa0 | n, inner);
}

/** [n] IMPLICIT: the content of an encoded value under a context-specific tag. */
export function implicit(n: number, content: Uint8Array, constructed = false): Der {
  return tlv((constructed ? 0xa0 : 0x80) | n, content);
}
