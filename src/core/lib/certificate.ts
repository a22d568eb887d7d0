// Reads the SPIFFE-relevant parts of an X.509 certificate with a strict DER reader and builds
// the pkijs view that the pkijs path validation engine works on, turning every parse failure
// into a plain message (callers wrap it in their own typed error). Not exported.
//
// Why not `pkijs.Certificate.fromBER`: asn1js/pkijs take ~0.5–1 ms per certificate (schema
// trees rebuilt and compared per field, type checks per node), several times the signature
// checks of a whole chain; a peer presenting a never-seen leaf paid it on every call.
import type * as pkijs from "pkijs";
import { toHex } from "./bytes.ts";
import { byteString, checkInteger, decodeBoolean, decodeOid, decodeSmallInteger, decodeTime, DerError, type DerElement, DerReader, inside, TAG_UTC_TIME } from "./der-reader.ts";
import { buildPkijsCertificate, type ExtensionParts, type SimpleGeneralName } from "./pkijs-certificate.ts";

const OID_KEY_USAGE = "2.5.29.15";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const GENERAL_NAME_URI = 6;

/** Extensions whose meaning the SPIFFE verifier (or pkijs path validation) processes. */
export const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_BASIC_CONSTRAINTS,
  "2.5.29.37", // extended key usage
  "2.5.29.30", // name constraints (pkijs)
  "2.5.29.32", // certificate policies (pkijs)
  "2.5.29.36", // policy constraints (pkijs)
  "2.5.29.33", // policy mappings (pkijs)
  "2.5.29.54", // inhibit anyPolicy (pkijs)
  "2.5.29.14", // subject key identifier
  "2.5.29.35", // authority key identifier
]);

export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

/** An AlgorithmIdentifier: its OID and the DER of its parameters, if any. */
export interface AlgorithmInfo {
  readonly oid: string;
  readonly params: Uint8Array<ArrayBuffer> | undefined;
}

/** A parsed certificate: the DER it came from plus the fields SPIFFE rules look at. */
export interface CertificateInfo {
  readonly der: Uint8Array<ArrayBuffer>;
  /** The pkijs view given to pkijs path validation (its subjectPublicKeyInfo is parsed on first use). */
  readonly pkijs: pkijs.Certificate;
  /** Every URI SAN, in order (a valid SVID has exactly one). */
  readonly uriSans: readonly string[];
  /** basicConstraints cA; false when the extension is absent. */
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLenConstraint: number | undefined;
  /** undefined when the key usage extension is absent. */
  readonly keyUsage: KeyUsage | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialNumberHex: string;
  /** OIDs of critical extensions the SDK does not process (RFC 5280 §4.2: must reject). */
  readonly unhandledCriticalExtensions: readonly string[];
  /** The DER TBSCertificate (what the signature covers). */
  readonly tbs: Uint8Array<ArrayBuffer>;
  /** The outer signatureAlgorithm and the TBS `signature` field (RFC 5280 §4.1.1.2: must match). */
  readonly signatureAlgorithm: AlgorithmInfo;
  readonly tbsSignatureAlgorithm: AlgorithmInfo;
  /** The signature bits (the BIT STRING contents without the unused-bits octet). */
  readonly signatureValue: Uint8Array<ArrayBuffer>;
  /** The DER SubjectPublicKeyInfo, and its algorithm. */
  readonly spki: Uint8Array<ArrayBuffer>;
  readonly spkiAlgorithm: AlgorithmInfo;
  /** The DER issuer and subject Names (compared byte for byte when chaining, as Go does). */
  readonly issuerName: Uint8Array<ArrayBuffer>;
  readonly subjectName: Uint8Array<ArrayBuffer>;
}

/**
 * Parses one DER certificate. Returns a message string on failure: not DER, trailing bytes,
 * not a certificate, or an extension the SPIFFE rules need that cannot be decoded.
 */
export function readCertificate(der: Uint8Array<ArrayBuffer>): CertificateInfo | string {
  if (der.length === 0) return "empty certificate";
  if (der[0] !== 0x30) return "not a single DER SEQUENCE";
  try {
    return parse(der);
  } catch (err) {
    if (err instanceof DerError) return `not an X.509 certificate (${err.message})`;
    return `certificate fields could not be decoded (${err instanceof Error ? err.message : String(err)})`;
  }
}

function parse(der: Uint8Array<ArrayBuffer>): CertificateInfo | string {
  const outer = new DerReader(der);
  const certificate = outer.read(0x30);
  if (!outer.done) return "not a single DER SEQUENCE";
  const c = inside(certificate);
  const tbsElement = c.read(0x30);
  const signatureAlgorithm = readAlgorithm(c.read(0x30));
  const signatureBits = c.read(0x03).value;
  c.end();
  if (signatureBits[0] !== 0) throw new DerError("the signature BIT STRING has unused bits");

  const t = inside(tbsElement);
  let version = 0;
  const versionElement = t.readOptional(0xa0);
  if (versionElement) {
    const v = inside(versionElement);
    const n = decodeSmallInteger(v.read(0x02).value);
    v.end();
    if (n === undefined || n > 2) throw new DerError("unknown certificate version");
    version = n;
  }
  const serial = t.read(0x02).value;
  checkInteger(serial);
  const tbsSignatureAlgorithm = readAlgorithm(t.read(0x30));
  const issuer = t.read(0x30);
  const validity = inside(t.read(0x30));
  const notBeforeElement = validity.read();
  const notAfterElement = validity.read();
  validity.end();
  const notBefore = decodeTime(notBeforeElement);
  const notAfter = decodeTime(notAfterElement);
  const subject = t.read(0x30);
  const spkiElement = t.read(0x30);
  const s = inside(spkiElement);
  const spkiAlgorithm = readAlgorithm(s.read(0x30));
  s.read(0x03);
  s.end();
  const issuerUniqueID = t.readOptional(0x81)?.value;
  const subjectUniqueID = t.readOptional(0x82)?.value;
  const extensionsElement = t.readOptional(0xa3);
  t.end();

  const uriSans: string[] = [];
  let isCa = false;
  let pathLenConstraint: number | undefined;
  let keyUsage: KeyUsage | undefined;
  const unhandledCriticalExtensions: string[] = [];
  let extensions: ExtensionParts[] | undefined;
  if (extensionsElement) {
    extensions = [];
    const wrapper = inside(extensionsElement);
    const list = inside(wrapper.read(0x30));
    wrapper.end();
    const seen = new Set<string>();
    while (!list.done) {
      const element = list.read(0x30);
      const e = inside(element);
      const oid = decodeOid(e.read(0x06).value);
      const criticalElement = e.readOptional(0x01);
      const critical = criticalElement ? decodeBoolean(criticalElement.value) : false;
      const value = e.read(0x04).value;
      e.end();
      if (seen.has(oid)) return `duplicate extension ${oid}`; // RFC 5280 §4.2
      seen.add(oid);
      if (critical && !HANDLED_EXTENSIONS.has(oid)) unhandledCriticalExtensions.push(oid);
      const ext: ExtensionParts = { der: element.tlv, oid, critical, value };
      switch (oid) {
        case OID_SUBJECT_ALT_NAME: {
          const names = readGeneralNames(value);
          if (typeof names === "string") return names;
          for (const n of names.all) if (n.type === GENERAL_NAME_URI) uriSans.push(n.value);
          if (names.simple) ext.simpleNames = names.all;
          break;
        }
        case OID_BASIC_CONSTRAINTS: {
          const bc = readBasicConstraints(value);
          if (typeof bc === "string") return bc;
          isCa = bc.isCa;
          pathLenConstraint = bc.pathLen;
          break;
        }
        case OID_KEY_USAGE: {
          const ku = readKeyUsage(value);
          if (ku === undefined) return "keyUsage extension cannot be decoded";
          keyUsage = ku;
          break;
        }
      }
      extensions.push(ext);
    }
  }

  const tbs = tbsElement.tlv;
  const signatureValue = signatureBits.subarray(1);
  const cert = buildPkijsCertificate({
    tbs,
    version,
    serial,
    tbsSignatureAlgorithm,
    signatureAlgorithm,
    issuer: issuer.tlv,
    notBefore: { date: notBefore, utc: notBeforeElement.tag === TAG_UTC_TIME },
    notAfter: { date: notAfter, utc: notAfterElement.tag === TAG_UTC_TIME },
    subject: subject.tlv,
    spki: spkiElement.tlv,
    issuerUniqueID,
    subjectUniqueID,
    extensions,
    signatureValue,
  });
  if (typeof cert === "string") return cert;
  return {
    der,
    pkijs: cert,
    uriSans,
    isCa,
    pathLenConstraint,
    keyUsage,
    notBefore,
    notAfter,
    serialNumberHex: toHex(serial),
    unhandledCriticalExtensions,
    tbs,
    signatureAlgorithm,
    tbsSignatureAlgorithm,
    signatureValue,
    spki: spkiElement.tlv,
    spkiAlgorithm,
    issuerName: issuer.tlv,
    subjectName: subject.tlv,
  };
}

function readAlgorithm(element: DerElement): AlgorithmInfo {
  const r = inside(element);
  const oid = decodeOid(r.read(0x06).value);
  const params = r.done ? undefined : r.read().tlv;
  r.end();
  return { oid, params };
}

/** GeneralNames (RFC 5280 §4.2.1.6); `simple` when every name is an rfc822Name, dNSName or URI. */
function readGeneralNames(value: Uint8Array<ArrayBuffer>): { all: SimpleGeneralName[]; simple: boolean } | string {
  const fail = "subjectAltName extension cannot be decoded";
  try {
    const outer = new DerReader(value);
    const list = inside(outer.read(0x30));
    outer.end();
    const all: SimpleGeneralName[] = [];
    let simple = true;
    while (!list.done) {
      const name = list.read();
      const type = name.tag & 0x1f;
      const constructed = (name.tag & 0x20) !== 0;
      if ((name.tag & 0xc0) !== 0x80 || type > 8) return fail;
      // otherName, x400Address, directoryName, ediPartyName are constructed; the others primitive.
      if (constructed !== (type === 0 || type === 3 || type === 4 || type === 5)) return fail;
      if (type === 1 || type === 2 || type === 6) {
        all.push({ type, value: byteString(name.value) }); // IA5String, as asn1js decodes it
      } else {
        simple = false;
      }
    }
    return { all, simple };
  } catch {
    return fail;
  }
}

function readBasicConstraints(value: Uint8Array<ArrayBuffer>): { isCa: boolean; pathLen: number | undefined } | string {
  let isCa = false;
  let pathLen: number | undefined;
  try {
    const outer = new DerReader(value);
    const r = inside(outer.read(0x30));
    outer.end();
    const ca = r.readOptional(0x01);
    if (ca) isCa = decodeBoolean(ca.value);
    const len = r.readOptional(0x02);
    r.end();
    if (len) {
      pathLen = decodeSmallInteger(len.value);
      if (pathLen === undefined) return "basicConstraints pathLenConstraint is out of range";
    }
  } catch {
    return "basicConstraints extension cannot be decoded";
  }
  return { isCa, pathLen };
}

function readKeyUsage(value: Uint8Array<ArrayBuffer>): KeyUsage | undefined {
  try {
    const outer = new DerReader(value);
    const bits = outer.read(0x03).value;
    outer.end();
    const unused = bits[0];
    if (unused === undefined || unused > 7 || (bits.length === 1 && unused !== 0)) return undefined;
    const first = bits[1] ?? 0;
    return { digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0, cRLSign: (first & 0x02) !== 0 };
  } catch {
    return undefined;
  }
}
