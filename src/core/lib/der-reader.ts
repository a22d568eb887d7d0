// A strict DER cursor (X.690 §10: definite, minimal lengths; single-byte tags only, which is
// all X.509 uses), with the few primitive decoders certificates need: OBJECT IDENTIFIER,
// BOOLEAN, small INTEGER, UTCTime/GeneralizedTime. Each method throws `DerError` on
// malformed input; callers turn it into their own message. Not exported from the package.

/** A DER decoding failure inside this module; never escapes the module's callers. */
export class DerError extends Error {}

/**
 * One decoded element: its tag byte, its whole encoding, and its contents (views, made on
 * demand). Plain fields, no `#private` ones: thousands are made per certificate and JSC
 * (Bun) builds objects with private fields more slowly.
 */
export class DerElement {
  readonly tag: number;
  /** The input the element was read from, and its offsets there (start, contents, end). */
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;

  constructor(bytes: Uint8Array<ArrayBuffer>, tag: number, start: number, contentStart: number, end: number) {
    this.bytes = bytes;
    this.tag = tag;
    this.start = start;
    this.contentStart = contentStart;
    this.end = end;
  }

  /** Tag + length + contents (a view into the input). */
  get tlv(): Uint8Array<ArrayBuffer> {
    return this.bytes.subarray(this.start, this.end);
  }

  /** The contents octets (a view into the input). */
  get value(): Uint8Array<ArrayBuffer> {
    return this.bytes.subarray(this.contentStart, this.end);
  }

  /** A reader over the contents (of a constructed element). */
  reader(): DerReader {
    return new DerReader(this.bytes, this.contentStart, this.end);
  }
}

/**
 * Reads consecutive DER elements from `bytes` (a view; nothing is copied). TypeScript-private
 * fields, not `#private` ones, for the same reason as {@link DerElement}: a certificate makes
 * dozens of readers.
 */
export class DerReader {
  private readonly bytes: Uint8Array<ArrayBuffer>;
  private readonly limit: number;
  private pos: number;

  constructor(bytes: Uint8Array<ArrayBuffer>, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.limit = end;
  }

  /** True when every byte was consumed. */
  get done(): boolean {
    return this.pos >= this.limit;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.pos < this.limit ? this.bytes[this.pos] : undefined;
  }

  /** Reads the next element, which must have tag `tag` when given. */
  read(tag?: number): DerElement {
    const b = this.bytes;
    const limit = this.limit;
    const start = this.pos;
    const t = start < limit ? b[start] : undefined;
    if (t === undefined) throw new DerError("unexpected end of data");
    if (tag !== undefined && t !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${t.toString(16)}`);
    if ((t & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
    let pos = start + 1;
    const first = pos < limit ? b[pos++] : undefined;
    if (first === undefined) throw new DerError("unexpected end of data");
    let length = first;
    if (first >= 0x80) {
      const n = first & 0x7f;
      if (n === 0) throw new DerError("indefinite length is not DER");
      if (n > 4) throw new DerError("length too large");
      if (b[pos] === 0) throw new DerError("non-minimal length");
      length = 0;
      for (let i = 0; i < n; i++) {
        const x = pos < limit ? b[pos++] : undefined;
        if (x === undefined) throw new DerError("unexpected end of data");
        length = length * 256 + x;
      }
      if (length < 0x80) throw new DerError("non-minimal length");
    }
    if (pos + length > limit) throw new DerError("element runs past the end of data");
    this.pos = pos + length;
    return new DerElement(b, t, start, pos, pos + length);
  }

  /** Reads the next element if it has tag `tag`, else returns undefined. */
  readOptional(tag: number): DerElement | undefined {
    return this.peekTag() === tag ? this.read(tag) : undefined;
  }

  /** Reads the next element, which must be an OBJECT IDENTIFIER, and decodes it (no view is made). */
  readOid(): string {
    const e = this.read(TAG_OID);
    return decodeOidAt(e.bytes, e.contentStart, e.end);
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (!this.done) throw new DerError("unexpected trailing data");
  }
}

/** A reader over the contents of a constructed element. */
export function inside(element: DerElement): DerReader {
  return element.reader();
}

const TAG_OID = 0x06;

/** Decodes OBJECT IDENTIFIER contents to dotted form. */
export function decodeOid(value: Uint8Array): string {
  return decodeOidAt(value, 0, value.length);
}

/**
 * Decoded OIDs by a digest of their contents (a certificate repeats the same few dozen:
 * algorithms, attribute types, extensions); a hit also compares the bytes. Bounded: once
 * full, other OIDs are decoded every time.
 */
const knownOids = new Map<number, { readonly bytes: Uint8Array; readonly oid: string }>();
const MAX_KNOWN_OIDS = 512;
/** Longer contents are decoded every time (the OIDs certificates use are under 16 bytes). */
const MAX_KNOWN_OID_BYTES = 24;

function decodeOidAt(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > MAX_KNOWN_OID_BYTES) return decodeOidContents(bytes, start, end);
  let h = length;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  const known = knownOids.get(h);
  if (known !== undefined && known.bytes.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (known.bytes[i] !== bytes[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return known.oid;
  }
  const oid = decodeOidContents(bytes, start, end);
  if (known === undefined && knownOids.size < MAX_KNOWN_OIDS) knownOids.set(h, { bytes: bytes.slice(start, end), oid });
  return oid;
}

function decodeOidContents(value: Uint8Array, start: number, end: number): string {
  if (end === start || value[end - 1]! & 0x80) throw new DerError("malformed OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let n = 0;
  let fresh = true;
  // Indexed loops here and below: iterating a typed array with for…of costs an iterator per call on Bun (JSC).
  for (let i = start; i < end; i++) {
    const byte = value[i]!;
    if (fresh && byte === 0x80) throw new DerError("non-minimal OBJECT IDENTIFIER arc");
    if (n > 0x1fffffffffff) throw new DerError("OBJECT IDENTIFIER arc too large");
    n = n * 128 + (byte & 0x7f);
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      if (arcs.length === 0) arcs.push(n < 40 ? 0 : n < 80 ? 1 : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    }
  }
  return arcs.join(".");
}

/** Decodes BOOLEAN contents (DER: 0x00 or 0xFF). */
export function decodeBoolean(value: Uint8Array): boolean {
  if (value.length !== 1 || (value[0] !== 0x00 && value[0] !== 0xff)) throw new DerError("malformed BOOLEAN");
  return value[0] === 0xff;
}

/** Checks INTEGER contents are minimal two's complement (X.690 §8.3.2). */
export function checkInteger(value: Uint8Array): void {
  if (value.length === 0) throw new DerError("empty INTEGER");
  if (value.length > 1 && ((value[0] === 0 && !(value[1]! & 0x80)) || (value[0] === 0xff && value[1]! & 0x80))) {
    throw new DerError("non-minimal INTEGER");
  }
}

/** Decodes a non-negative INTEGER below 2^31, or undefined when negative or larger. */
export function decodeSmallInteger(value: Uint8Array): number | undefined {
  checkInteger(value);
  if (value[0]! & 0x80) return undefined;
  const digits = value[0] === 0 ? value.subarray(1) : value;
  if (digits.length > 4 || (digits.length === 4 && digits[0]! & 0x80)) return undefined;
  let n = 0;
  for (let i = 0; i < digits.length; i++) n = n * 256 + digits[i]!;
  return n;
}

/** Bytes → string, one code point per byte (as asn1js decodes IA5String and friends). */
export function byteString(bytes: Uint8Array): string {
  // Short values (names, URIs) one char at a time (no view to make).
  if (bytes.length <= 64) {
    let out = "";
    for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  // Longer ones in chunks through apply, which reads the typed array as an array-like (a spread would run its iterator).
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x2000) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000) as unknown as number[]);
  return out;
}

export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;

/**
 * Decodes a certificate validity time in the forms RFC 5280 §4.1.2.5 requires:
 * UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime `YYYYMMDDHHMMSSZ`.
 */
export function decodeTime(element: DerElement): Date {
  const utc = element.tag === TAG_UTC_TIME;
  if (!utc && element.tag !== TAG_GENERALIZED_TIME) throw new DerError("expected UTCTime or GeneralizedTime");
  const v = element.value;
  const digits = utc ? 12 : 14;
  if (v.length !== digits + 1 || v[digits] !== 0x5a /* Z */) throw new DerError(`time "${byteString(v)}" is not in the RFC 5280 form`);
  const num = (at: number, count: number): number => {
    let n = 0;
    for (let i = at; i < at + count; i++) {
      const d = v[i]! - 0x30;
      if (d < 0 || d > 9) throw new DerError(`time "${byteString(v)}" is not in the RFC 5280 form`);
      n = n * 10 + d;
    }
    return n;
  };
  const y = utc ? num(0, 2) : num(0, 4);
  const year = utc ? (y < 50 ? 2000 + y : 1900 + y) : y;
  const o = utc ? 2 : 4;
  const [mo, d, h, mi, s] = [num(o, 2), num(o + 2, 2), num(o + 4, 2), num(o + 6, 2), num(o + 8, 2)];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  // Date.UTC takes years 0–99 as 1900+year: set the full year again.
  if (year < 100) date.setUTCFullYear(year, mo - 1, d);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new DerError(`time "${byteString(v)}" is not a valid date`);
  }
  return date;
}
