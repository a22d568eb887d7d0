// GeneralName (RFC 5280 §4.2.1.6), decoded strictly: IA5 strings must be non-empty 7-bit
// text, IP addresses 4 or 16 bytes, directory names well-formed Names. Used by the
// subjectAltName and nameConstraints decoders. Not exported from the package.
import { byteString, DerError, type DerElement, DerReader, inside } from "../der-reader.ts";
import { type DistinguishedName, readName } from "./distinguished-name.ts";
import { MAX_GENERAL_NAMES, within } from "./limits.ts";

/** A decoded GeneralName; forms the SDK does not interpret keep only their tag number. */
export type GeneralName =
  | { readonly type: "email"; readonly value: string }
  | { readonly type: "dns"; readonly value: string }
  | { readonly type: "uri"; readonly value: string }
  | { readonly type: "ip"; readonly bytes: Uint8Array }
  | { readonly type: "dn"; readonly name: DistinguishedName }
  | { readonly type: "other"; readonly form: OtherForm };

/** The GeneralName forms the SDK does not interpret. */
export type OtherForm = "otherName" | "x400Address" | "ediPartyName" | "registeredID";

const OTHER_FORMS: Readonly<Record<number, OtherForm>> = { 0: "otherName", 3: "x400Address", 5: "ediPartyName", 8: "registeredID" };

/**
 * Decodes one GeneralName element. In a name constraint (`inConstraint`), an iPAddress is an
 * address and a mask (8 or 32 bytes) and a string may be empty (it then matches every name of
 * its form, as Go and NSS read it); in a subjectAltName, an address is 4 or 16 bytes and no
 * string may be empty.
 */
export function readGeneralName(element: DerElement, inConstraint: boolean): GeneralName {
  const tag = element.tag;
  if ((tag & 0xc0) !== 0x80) throw new DerError("a GeneralName must be context-tagged");
  const n = tag & 0x1f;
  const constructed = (tag & 0x20) !== 0;
  // otherName, x400Address, directoryName and ediPartyName are constructed; the others primitive.
  if (n > 8 || constructed !== (n === 0 || n === 3 || n === 4 || n === 5)) throw new DerError(`malformed GeneralName [${n}]`);
  switch (n) {
    case 1: {
      const value = ia5(element.value, "rfc822Name", inConstraint);
      if (!inConstraint && !isMailbox(value)) throw new DerError("rfc822Name is not a mailbox (local-part@domain)");
      return { type: "email", value };
    }
    case 2: {
      const value = ia5(element.value, "dNSName", inConstraint);
      if (!inConstraint && !isDnsName(value, true)) throw new DerError("dNSName is not in the preferred name syntax");
      return { type: "dns", value };
    }
    case 6: {
      const value = ia5(element.value, "uniformResourceIdentifier", inConstraint);
      if (!inConstraint && !isUri(value)) throw new DerError("uniformResourceIdentifier is not a URI with a scheme");
      return { type: "uri", value };
    }
    case 7:
      if (!(inConstraint ? [8, 32] : [4, 16]).includes(element.value.length)) throw new DerError(`iPAddress of ${element.value.length} bytes`);
      if (inConstraint && !contiguousMask(element.value.subarray(element.value.length / 2))) throw new DerError("iPAddress constraint with a non-contiguous mask");
      return { type: "ip", bytes: element.value };
    case 4: {
      // Name is a CHOICE, so [4] is EXPLICIT: exactly one RDNSequence inside.
      const r = inside(element);
      const name = r.read(0x30);
      r.end();
      return { type: "dn", name: readName(name.tlv) };
    }
    default:
      return { type: "other", form: OTHER_FORMS[n]! };
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, from its DER (tagged `tag` when implicitly tagged). */
export function readGeneralNames(der: Uint8Array<ArrayBuffer>, tag = 0x30): GeneralName[] {
  const outer = new DerReader(der);
  const list = inside(outer.read(tag));
  outer.end();
  const out: GeneralName[] = [];
  while (!list.done) {
    within(out.length + 1, MAX_GENERAL_NAMES, "names in a GeneralNames");
    out.push(readGeneralName(list.read(), false));
  }
  if (out.length === 0) throw new DerError("empty GeneralNames");
  return out;
}

/** IA5String contents: 7-bit, and non-empty unless allowed (RFC 5280 §4.2.1.6: no empty GeneralName fields). */
function ia5(value: Uint8Array, what: string, emptyAllowed: boolean): string {
  if (value.length === 0 && !emptyAllowed) throw new DerError(`empty ${what}`);
  for (let i = 0; i < value.length; i++) if (value[i]! > 0x7f) throw new DerError(`${what} is not an IA5String`);
  return byteString(value);
}

/** A CIDR-style mask: ones, then zeros (RFC 5280 §4.2.1.10 gives address ranges "in CIDR notation"). */
function contiguousMask(mask: Uint8Array): boolean {
  let zeros = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && zeros) return false;
      if (!one) zeros = true;
    }
  }
  return true;
}

/**
 * RFC 1034 §3.5 "preferred name syntax" (with RFC 1123's leading digits): labels of letters,
 * digits and inner hyphens, at most 63 characters, 253 in all; a leading "*" label when
 * `wildcard` (as certificates use it).
 */
export function isDnsName(name: string, wildcard: boolean): boolean {
  const n = name.length;
  if (n === 0 || n > 253) return false;
  // One pass over the characters (a hostile leaf may carry hundreds of 253-character names).
  let labelStart = wildcard && n > 1 && name.charCodeAt(0) === 0x2a /* * */ && name.charCodeAt(1) === 0x2e /* . */ ? 2 : 0;
  for (let i = labelStart; i <= n; i++) {
    const c = i < n ? name.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const length = i - labelStart;
      if (length === 0 || length > 63 || name.charCodeAt(i - 1) === 0x2d /* - */) return false;
      labelStart = i + 1;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c === 0x2d && i !== labelStart))) {
      return false;
    }
  }
  return true;
}

/** RFC 5280 §4.2.1.6: a Mailbox (RFC 2821 §4.1.2): a non-empty local part, "@", a domain. */
function isMailbox(value: string): boolean {
  const at = value.lastIndexOf("@");
  return at > 0 && !/[\s@]/.test(value.slice(0, at)) && isDnsName(value.slice(at + 1), false);
}

/** RFC 3986 §3: a scheme, ":", and a non-empty rest without white space or control characters. */
function isUri(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]+$/.test(value);
}
