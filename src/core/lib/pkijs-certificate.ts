// Builds the `pkijs.Certificate` that pkijs path validation works on from fields our DER
// reader already decoded, instead of letting asn1js/pkijs parse the certificate again.
// Every field the validation engine reads is a real pkijs object: names are pkijs
// RelativeDistinguishedNames (their attribute values decoded by asn1js, cached by DER),
// extensions are pkijs Extensions whose values pkijs decodes on first use. Only a
// subjectAltName made of rfc822Name/dNSName/URI strings is given pre-decoded (pkijs
// builds the same strings at many times the cost). Not exported.
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { DerError, type DerElement, DerReader, decodeOid, inside } from "./der-reader.ts";

/** A GeneralName pkijs represents as a string: rfc822Name (1), dNSName (2), URI (6). */
export interface SimpleGeneralName {
  readonly type: 1 | 2 | 6;
  readonly value: string;
}

export interface ExtensionParts {
  /** The DER Extension. */
  readonly der: Uint8Array<ArrayBuffer>;
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue contents (the DER of the extension value). */
  readonly value: Uint8Array<ArrayBuffer>;
  /** A subjectAltName whose names are all strings, already decoded. */
  simpleNames?: readonly SimpleGeneralName[];
}

export interface CertificateParts {
  readonly tbs: Uint8Array<ArrayBuffer>;
  readonly version: number;
  readonly serial: Uint8Array<ArrayBuffer>;
  readonly tbsSignatureAlgorithm: { readonly oid: string; readonly params: Uint8Array<ArrayBuffer> | undefined };
  readonly signatureAlgorithm: { readonly oid: string; readonly params: Uint8Array<ArrayBuffer> | undefined };
  readonly issuer: Uint8Array<ArrayBuffer>;
  readonly notBefore: { readonly date: Date; readonly utc: boolean };
  readonly notAfter: { readonly date: Date; readonly utc: boolean };
  readonly subject: Uint8Array<ArrayBuffer>;
  readonly spki: Uint8Array<ArrayBuffer>;
  readonly issuerUniqueID: Uint8Array<ArrayBuffer> | undefined;
  readonly subjectUniqueID: Uint8Array<ArrayBuffer> | undefined;
  readonly extensions: readonly ExtensionParts[] | undefined;
  readonly signatureValue: Uint8Array<ArrayBuffer>;
}

/** Builds the pkijs view, or returns a message when a name or parameter cannot be decoded. */
export function buildPkijsCertificate(parts: CertificateParts): pkijs.Certificate | string {
  const issuer = nameOf(parts.issuer);
  if (typeof issuer === "string") return `issuer ${issuer}`;
  const subject = nameOf(parts.subject);
  if (typeof subject === "string") return `subject ${subject}`;
  const params: ConstructorParameters<typeof pkijs.Certificate>[0] = {
    version: parts.version,
    serialNumber: PLACEHOLDER.serialNumber,
    signature: algorithmOf(parts.tbsSignatureAlgorithm),
    issuer,
    notBefore: new pkijs.Time({ type: parts.notBefore.utc ? 0 : 1, value: parts.notBefore.date }),
    notAfter: new pkijs.Time({ type: parts.notAfter.utc ? 0 : 1, value: parts.notAfter.date }),
    subject,
    subjectPublicKeyInfo: PLACEHOLDER.subjectPublicKeyInfo,
    signatureAlgorithm: algorithmOf(parts.signatureAlgorithm),
    signatureValue: PLACEHOLDER.signatureValue,
  };
  if (parts.issuerUniqueID) params.issuerUniqueID = parts.issuerUniqueID.slice().buffer;
  if (parts.subjectUniqueID) params.subjectUniqueID = parts.subjectUniqueID.slice().buffer;
  if (parts.extensions) params.extensions = parts.extensions.map(extensionOf);
  const cert = new pkijs.Certificate(params);
  cert.tbsView = parts.tbs;
  // Fields path validation never reads (our signature checks use the DER we decoded) are
  // made on first use.
  lazy(cert, "serialNumber", () => new asn1js.Integer({ valueHex: parts.serial.slice() }));
  lazy(cert, "signatureValue", () => new asn1js.BitString({ valueHex: parts.signatureValue.slice() }));
  lazy(cert, "subjectPublicKeyInfo", () => publicKeyInfoOf(parts.spki));
  return cert;
}

/** Shared stand-ins passed to the constructor (so it builds no defaults), replaced by `lazy`. */
const PLACEHOLDER = {
  serialNumber: new asn1js.Integer(),
  subjectPublicKeyInfo: new pkijs.PublicKeyInfo(),
  signatureValue: new asn1js.BitString(),
};

function lazy<K extends "serialNumber" | "signatureValue" | "subjectPublicKeyInfo">(cert: pkijs.Certificate, key: K, make: () => pkijs.Certificate[K]): void {
  let value: pkijs.Certificate[K] | undefined;
  Object.defineProperty(cert, key, {
    configurable: true,
    enumerable: true,
    get: (): pkijs.Certificate[K] => (value ??= make()),
    set: (v: pkijs.Certificate[K]): void => {
      value = v;
    },
  });
}

/** pkijs' parse of a SubjectPublicKeyInfo; an empty one (no algorithm) if pkijs rejects it. */
function publicKeyInfoOf(der: Uint8Array<ArrayBuffer>): pkijs.PublicKeyInfo {
  try {
    return pkijs.PublicKeyInfo.fromBER(der);
  } catch {
    return new pkijs.PublicKeyInfo();
  }
}

function algorithmOf(alg: { readonly oid: string; readonly params: Uint8Array<ArrayBuffer> | undefined }): pkijs.AlgorithmIdentifier {
  return alg.params === undefined
    ? new pkijs.AlgorithmIdentifier({ algorithmId: alg.oid })
    : new pkijs.AlgorithmIdentifier({ algorithmId: alg.oid, algorithmParams: asn1Of(alg.params) });
}

// Most extensions of the leaves of one issuer are byte-identical (key usage, basic
// constraints, extended key usage, authority key identifier): pkijs Extensions are cached by
// DER and shared. They are never modified (pkijs caches the decoded value inside).
const MAX_EXTENSIONS = 1024;
const extensions = new Map<string, pkijs.Extension>();

function extensionOf(e: ExtensionParts): pkijs.Extension {
  const key = latin1(e.der);
  let ext = extensions.get(key);
  if (!ext) {
    ext = newExtension(e);
    extensions.set(key, ext);
    if (extensions.size > MAX_EXTENSIONS) extensions.delete(extensions.keys().next().value!);
  }
  return ext;
}

function newExtension(e: ExtensionParts): pkijs.Extension {
  const base = { extnID: e.oid, critical: e.critical, extnValue: e.value.slice().buffer };
  if (!e.simpleNames) return new pkijs.Extension(base);
  const altNames = e.simpleNames.map((n) => new pkijs.GeneralName({ type: n.type, value: n.value }));
  return new pkijs.Extension({ ...base, parsedValue: new pkijs.AltName({ altNames }) });
}

/** One asn1js element decoded from exactly `der`. */
function asn1Of(der: Uint8Array<ArrayBuffer>): asn1js.AsnType {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset !== der.length || parsed.result.error) throw new DerError("an ASN.1 value cannot be decoded");
  return parsed.result;
}

// Names repeat across certificates (every leaf of an intermediate has its subject as issuer):
// decoded pkijs names are cached by DER. They are never modified after decoding.
const MAX_NAMES = 512;
const names = new Map<string, pkijs.RelativeDistinguishedNames>();

function nameOf(der: Uint8Array<ArrayBuffer>): pkijs.RelativeDistinguishedNames | string {
  const key = latin1(der);
  const hit = names.get(key);
  if (hit) return hit;
  let name: pkijs.RelativeDistinguishedNames;
  try {
    name = decodeName(der);
  } catch {
    return "name cannot be decoded";
  }
  names.set(key, name);
  if (names.size > MAX_NAMES) names.delete(names.keys().next().value!);
  return name;
}

/** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue, flattened as pkijs does. */
function decodeName(der: Uint8Array<ArrayBuffer>): pkijs.RelativeDistinguishedNames {
  const outer = new DerReader(der);
  const rdns = inside(outer.read(0x30));
  outer.end();
  const typesAndValues: pkijs.AttributeTypeAndValue[] = [];
  while (!rdns.done) {
    const set = inside(rdns.read(0x31));
    while (!set.done) {
      const atv = inside(set.read(0x30));
      const type = decodeOid(atv.read(0x06).value);
      const value: DerElement = atv.read();
      atv.end();
      typesAndValues.push(new pkijs.AttributeTypeAndValue({ type, value: asn1Of(value.tlv) as never }));
    }
  }
  return new pkijs.RelativeDistinguishedNames({ typesAndValues, valueBeforeDecode: der.slice().buffer });
}

// WHATWG "latin1" (windows-1252) maps each of the 256 byte values to a distinct code point,
// so the decoded string is an exact, cheap cache key for the bytes.
let decoder: TextDecoder | undefined;

function latin1(bytes: Uint8Array): string {
  decoder ??= new TextDecoder("latin1");
  return decoder.decode(bytes);
}
