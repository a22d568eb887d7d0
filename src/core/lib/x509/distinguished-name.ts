// X.501 Names (RFC 5280 §4.1.2.4): decoded into RDNs for name-constraint matching, and
// compared the way RFC 5280 §7.1 asks for (attribute values of string types compared
// case-insensitively after folding white space). Not exported from the package.
import { byteString, DerError, DerReader, inside } from "../der-reader.ts";
import { MAX_NAME_ATTRIBUTES, within } from "./limits.ts";

/** One AttributeTypeAndValue: its type OID, the value's tag and the value's contents. */
export interface Attribute {
  readonly type: string;
  readonly tag: number;
  readonly value: Uint8Array;
}

/** A Name: RDNs from the most significant (e.g. C) down; each RDN is a non-empty set. */
export type DistinguishedName = readonly (readonly Attribute[])[];

export const OID_EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

/** Decodes the DER of a Name. @throws {DerError} when it is not a well-formed RDNSequence. */
export function readName(der: Uint8Array<ArrayBuffer>): DistinguishedName {
  const outer = new DerReader(der);
  const rdns = inside(outer.read(0x30));
  outer.end();
  const out: Attribute[][] = [];
  let attributes = 0;
  while (!rdns.done) {
    const set = inside(rdns.read(0x31));
    const rdn: Attribute[] = [];
    while (!set.done) {
      within(++attributes, MAX_NAME_ATTRIBUTES, "attributes in a name");
      const atv = inside(set.read(0x30));
      const type = atv.readOid();
      const value = atv.read();
      atv.end();
      checkDirectoryString(value.tag, value.value);
      rdn.push({ type, tag: value.tag, value: value.value });
    }
    if (rdn.length === 0) throw new DerError("empty RelativeDistinguishedName");
    out.push(rdn);
  }
  return out;
}

const TAG_NUMERIC = 0x12;

let strictUtf8: TextDecoder | undefined;
function utf8(): TextDecoder {
  return (strictUtf8 ??= new TextDecoder("utf-8", { fatal: true }));
}

/**
 * Attribute values must be well-formed strings of a type RFC 5280 names uses (as Go
 * checks them): PrintableString of its alphabet (plus "*" and "&", which real certificates
 * carry and Go accepts), valid UTF-8, 7-bit IA5String, NumericString digits, BMPString
 * without surrogates or noncharacters, TeletexString as Latin-1. Anything else is refused.
 */
function checkDirectoryString(tag: number, value: Uint8Array): void {
  switch (tag) {
    case TAG_PRINTABLE:
      for (let i = 0; i < value.length; i++) if (!PRINTABLE.has(value[i]!)) throw new DerError("invalid PrintableString in a name");
      return;
    case TAG_UTF8:
      try {
        utf8().decode(value);
      } catch {
        throw new DerError("invalid UTF8String in a name");
      }
      return;
    case TAG_IA5:
      for (let i = 0; i < value.length; i++) if (value[i]! > 0x7f) throw new DerError("invalid IA5String in a name");
      return;
    case TAG_NUMERIC:
      for (let i = 0; i < value.length; i++) {
        const b = value[i]!;
        if (!(b === 0x20 || (b >= 0x30 && b <= 0x39))) throw new DerError("invalid NumericString in a name");
      }
      return;
    case TAG_BMP: {
      if (value.length % 2 !== 0) throw new DerError("invalid BMPString in a name");
      const end = value.length >= 2 && value[value.length - 1] === 0 && value[value.length - 2] === 0 ? value.length - 2 : value.length;
      for (let i = 0; i < end; i += 2) {
        const u = (value[i]! << 8) | value[i + 1]!;
        if (u === 0xfffe || u === 0xffff || (u >= 0xfdd0 && u <= 0xfdef) || (u >= 0xd800 && u <= 0xdfff)) throw new DerError("invalid BMPString in a name");
      }
      return;
    }
    case TAG_TELETEX:
      return;
    default:
      throw new DerError(`unsupported string type 0x${tag.toString(16)} in a name`);
  }
}

const PRINTABLE: ReadonlySet<number> = new Set(
  [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?*&"].map((c) => c.charCodeAt(0)),
);

// String types whose values compare case-insensitively (RFC 5280 §7.1, RFC 4518 simplified):
// PrintableString, UTF8String, IA5String, TeletexString (as bytes), BMPString, UniversalString.
const TAG_UTF8 = 0x0c;
const TAG_PRINTABLE = 0x13;
const TAG_TELETEX = 0x14;
const TAG_IA5 = 0x16;
const TAG_UNIVERSAL = 0x1c;
const TAG_BMP = 0x1e;

/** The comparable form of an attribute value: folded text for string types, else the exact bytes. */
function comparable(a: Attribute): string {
  const text = textOf(a);
  if (text === undefined) return `#${a.tag}:${byteString(a.value)}`;
  return `$${text.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase()}`;
}

function textOf(a: Attribute): string | undefined {
  try {
    switch (a.tag) {
      case TAG_UTF8:
        return utf8().decode(a.value);
      case TAG_PRINTABLE:
      case TAG_TELETEX:
      case TAG_IA5:
        return byteString(a.value);
      case TAG_BMP: {
        if (a.value.length % 2 !== 0) return undefined;
        let s = "";
        for (let i = 0; i < a.value.length; i += 2) s += String.fromCharCode((a.value[i]! << 8) | a.value[i + 1]!);
        return s;
      }
      case TAG_UNIVERSAL: {
        if (a.value.length % 4 !== 0) return undefined;
        let s = "";
        for (let i = 0; i < a.value.length; i += 4) {
          const cp = ((a.value[i]! << 24) | (a.value[i + 1]! << 16) | (a.value[i + 2]! << 8) | a.value[i + 3]!) >>> 0;
          if (cp > 0x10ffff) return undefined;
          s += String.fromCodePoint(cp);
        }
        return s;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * The comparable form of each RDN of `name` (its attributes' types and folded values, sorted,
 * so that a multi-valued RDN compares as a set), computed once per decoded name.
 */
export function rdnKeys(name: DistinguishedName): readonly string[] {
  let keys = rdnKeyCache.get(name);
  if (!keys) {
    keys = name.map((rdn) => rdn.map((a) => `${a.type}=${comparable(a)}`).sort().join("\u0000"));
    rdnKeyCache.set(name, keys);
  }
  return keys;
}

const rdnKeyCache = new WeakMap<DistinguishedName, readonly string[]>();

/** RFC 5280 §4.2.1.10: `name` is within the subtree `base` when `base`'s RDNs are a prefix of `name`'s (compared per §7.1). */
export function nameWithin(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.length > name.length) return false;
  const n = rdnKeys(name);
  const b = rdnKeys(base);
  for (let i = 0; i < b.length; i++) if (n[i] !== b[i]) return false;
  return true;
}

/** The emailAddress attribute values of a Name (PKCS #9), which rfc822Name constraints also govern. */
export function emailAddressesOf(name: DistinguishedName): string[] {
  const out: string[] = [];
  for (const rdn of name) for (const a of rdn) if (a.type === OID_EMAIL_ADDRESS) out.push(byteString(a.value));
  return out;
}

/** A readable one-line form (e.g. "CN=x, O=y") for messages and the CLI. */
export function formatName(name: DistinguishedName): string {
  return name
    .map((rdn) => rdn.map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${textOf(a) ?? `#${a.tag.toString(16)}`}`).join("+"))
    .join(", ");
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.5": "serialNumber",
  [OID_EMAIL_ADDRESS]: "emailAddress",
};
