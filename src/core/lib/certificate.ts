// Reads an X.509 certificate (RFC 5280 §4.1) with a strict DER reader into the fields the
// SPIFFE verifier decides on. Strict means: what RFC 5280 and DER say a certificate never
// contains is a parse failure, not something to ignore (extensions in a v1/v2 certificate,
// an explicitly encoded default version, a non-positive serial, malformed names and
// extensions, bits hidden in key-usage padding, ...). The public key is decoded and judged
// by the key policy here, before any signature check. Failures come back as a message
// string; callers wrap it in their own typed error. Not exported from the package.
import { bytesEqual, toHex } from "./bytes.ts";
import { checkInteger, decodeBoolean, decodeSmallInteger, decodeTime, DerError, type DerElement, DerReader, inside, TAG_UTC_TIME } from "./der-reader.ts";
import { type DistinguishedName, readName } from "./x509/distinguished-name.ts";
import {
  type KeyUsage,
  type NameConstraints,
  OID_AUTHORITY_KEY_ID,
  OID_BASIC_CONSTRAINTS,
  OID_CERTIFICATE_POLICIES,
  OID_EXT_KEY_USAGE,
  OID_INHIBIT_ANY_POLICY,
  OID_KEY_USAGE,
  OID_NAME_CONSTRAINTS,
  OID_POLICY_CONSTRAINTS,
  OID_POLICY_MAPPINGS,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_ID,
  type PolicyConstraints,
  type PolicyMapping,
  readAuthorityKeyId,
  readBasicConstraints,
  readCertificatePolicies,
  readExtKeyUsage,
  readInhibitAnyPolicy,
  readKeyUsage,
  readNameConstraints,
  readPolicyConstraints,
  readPolicyMappings,
  readSubjectKeyId,
} from "./x509/extensions.ts";
import { type GeneralName, readGeneralNames } from "./x509/general-names.ts";
import { MAX_CERTIFICATE_NAME_ATTRIBUTES, MAX_EXTENSIONS, within } from "./x509/limits.ts";
import { type PublicKey, readPublicKey } from "./x509/public-key.ts";
import type { AlgorithmInfo } from "./x509/signature-algorithm.ts";

export type { AlgorithmInfo, KeyUsage };

/** Extensions whose meaning the SDK processes; any other critical extension fails verification. */
export const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID_SUBJECT_KEY_ID,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_BASIC_CONSTRAINTS,
  OID_NAME_CONSTRAINTS,
  OID_CERTIFICATE_POLICIES,
  OID_POLICY_MAPPINGS,
  OID_AUTHORITY_KEY_ID,
  OID_POLICY_CONSTRAINTS,
  OID_EXT_KEY_USAGE,
  OID_INHIBIT_ANY_POLICY,
]);

/** A parsed certificate: the DER it came from plus every field the verifier decides on. */
export interface CertificateInfo {
  readonly der: Uint8Array<ArrayBuffer>;
  /** 1, 2 or 3. */
  readonly version: number;
  /** Serial number, lowercase hex as encoded. */
  readonly serialNumberHex: string;
  /** The DER TBSCertificate (what the signature covers). */
  readonly tbs: Uint8Array<ArrayBuffer>;
  /** The outer signatureAlgorithm and the TBS `signature` field (RFC 5280 §4.1.1.2: must match). */
  readonly signatureAlgorithm: AlgorithmInfo;
  readonly tbsSignatureAlgorithm: AlgorithmInfo;
  /** The signature bits (the BIT STRING contents without the unused-bits octet). */
  readonly signatureValue: Uint8Array<ArrayBuffer>;
  /** The DER issuer and subject Names (compared byte for byte when chaining, as Go does). */
  readonly issuerName: Uint8Array<ArrayBuffer>;
  readonly subjectName: Uint8Array<ArrayBuffer>;
  /** The decoded subject and issuer Names. */
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  /** Issuer and subject are the same Name (RFC 5280 §6.1: "self-issued"). */
  readonly selfIssued: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The DER SubjectPublicKeyInfo, its algorithm, and the decoded key with the key policy's verdict. */
  readonly spki: Uint8Array<ArrayBuffer>;
  readonly spkiAlgorithm: AlgorithmInfo;
  readonly publicKey: PublicKey;
  /** Every subjectAltName, in order; empty when the extension is absent. */
  readonly subjectAltNames: readonly GeneralName[];
  /** Every URI SAN, in order (a valid SVID has exactly one). */
  readonly uriSans: readonly string[];
  /** basicConstraints cA; false when the extension is absent. */
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLenConstraint: number | undefined;
  /** undefined when the key usage extension is absent. */
  readonly keyUsage: KeyUsage | undefined;
  /** extendedKeyUsage purposes; undefined when absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly nameConstraints: NameConstraints | undefined;
  /** certificatePolicies OIDs; undefined when the extension is absent. */
  readonly policies: readonly string[] | undefined;
  readonly policyMappings: readonly PolicyMapping[] | undefined;
  readonly policyConstraints: PolicyConstraints | undefined;
  readonly inhibitAnyPolicy: number | undefined;
  readonly subjectKeyId: Uint8Array | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  /** OIDs of critical extensions the SDK does not process (RFC 5280 §4.2: must reject). */
  readonly unhandledCriticalExtensions: readonly string[];
}

/** Longest serial number RFC 5280 §4.1.2.2 allows (conforming CAs use at most 20 octets). */
const MAX_SERIAL_OCTETS = 20;

/**
 * Parses one DER certificate. Returns a message string when it is not DER, not an X.509
 * certificate, or breaks a rule RFC 5280 sets for every certificate.
 */
export function readCertificate(der: Uint8Array<ArrayBuffer>): CertificateInfo | string {
  if (der.length === 0) return "empty certificate";
  if (der[0] !== 0x30) return "not a single DER SEQUENCE";
  try {
    return parse(der);
  } catch (err) {
    if (err instanceof DerError) return `not a valid X.509 certificate (${err.message})`;
    return `certificate fields could not be decoded (${err instanceof Error ? err.message : String(err)})`;
  }
}

function parse(der: Uint8Array<ArrayBuffer>): CertificateInfo {
  const outer = new DerReader(der);
  const certificate = outer.read(0x30);
  outer.end();
  const c = inside(certificate);
  const tbsElement = c.read(0x30);
  const signatureAlgorithm = readAlgorithm(c.read(0x30));
  const signatureBits = c.read(0x03).value;
  c.end();
  if (signatureBits[0] !== 0) throw new DerError("the signature BIT STRING has unused bits");

  const t = inside(tbsElement);
  const version = readVersion(t.readOptional(0xa0));
  const serial = t.read(0x02).value;
  checkSerial(serial);
  const tbsSignatureAlgorithm = readAlgorithm(t.read(0x30));
  const issuerElement = t.read(0x30);
  const validity = inside(t.read(0x30));
  const notBefore = readValidityTime(validity.read());
  const notAfter = readValidityTime(validity.read());
  validity.end();
  const subjectElement = t.read(0x30);
  const spkiElement = t.read(0x30);
  const issuerUniqueId = t.readOptional(0x81);
  const subjectUniqueId = t.readOptional(0x82);
  const extensionsElement = t.readOptional(0xa3);
  t.end();
  // §4.1.1.2: "This field MUST contain the same algorithm identifier as the signature field in
  // the sequence tbsCertificate" (Go refuses such a certificate at parse time too).
  if (!sameAlgorithm(signatureAlgorithm, tbsSignatureAlgorithm)) throw new DerError("the signatureAlgorithm differs from the signature field of the TBSCertificate");
  for (const id of [issuerUniqueId, subjectUniqueId]) if (id) checkBitString(id.value, "unique identifier");
  // §4.1.2.8: unique identifiers only in v2 and v3; §4.1.2.9: extensions only in v3.
  if ((issuerUniqueId || subjectUniqueId) && version < 2) throw new DerError("a v1 certificate has unique identifiers");
  if (extensionsElement && version !== 3) throw new DerError(`a v${version} certificate has extensions (only v3 may)`);

  const issuer = readName(issuerElement.tlv);
  // §4.1.2.4: the issuer field MUST contain a non-empty distinguished name.
  if (issuer.length === 0) throw new DerError("empty issuer name");
  const spkiAlgorithm = readAlgorithm(inside(spkiElement).read(0x30));
  const info: Mutable<CertificateInfo> = {
    der,
    version,
    serialNumberHex: toHex(serial),
    tbs: tbsElement.tlv,
    signatureAlgorithm,
    tbsSignatureAlgorithm,
    signatureValue: signatureBits.subarray(1),
    issuerName: issuerElement.tlv,
    subjectName: subjectElement.tlv,
    subject: readName(subjectElement.tlv),
    issuer,
    selfIssued: bytesEqual(issuerElement.tlv, subjectElement.tlv),
    notBefore,
    notAfter,
    spki: spkiElement.tlv,
    spkiAlgorithm,
    publicKey: readPublicKey(spkiElement.tlv),
    subjectAltNames: [],
    uriSans: [],
    isCa: false,
    pathLenConstraint: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    nameConstraints: undefined,
    policies: undefined,
    policyMappings: undefined,
    policyConstraints: undefined,
    inhibitAnyPolicy: undefined,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    unhandledCriticalExtensions: [],
  };
  if (extensionsElement) readExtensions(extensionsElement, info);
  within(nameAttributes(info), MAX_CERTIFICATE_NAME_ATTRIBUTES, "name attributes in one certificate");
  return info;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Attributes of every Name the certificate holds (each directoryName is matched attribute by attribute). */
function nameAttributes(info: CertificateInfo): number {
  const count = (name: DistinguishedName): number => name.reduce((n, rdn) => n + rdn.length, 0);
  const inNames = (names: readonly GeneralName[] | undefined): number => (names ?? []).reduce((n, g) => n + (g.type === "dn" ? count(g.name) : 0), 0);
  return count(info.subject) + count(info.issuer) + inNames(info.subjectAltNames) + inNames(info.nameConstraints?.permitted) + inNames(info.nameConstraints?.excluded);
}

/** version [0] EXPLICIT Version DEFAULT v1: v1 is never encoded (DER), v2 = 1, v3 = 2. */
function readVersion(element: DerElement | undefined): number {
  if (!element) return 1;
  const v = inside(element);
  const n = decodeSmallInteger(v.read(0x02).value);
  v.end();
  if (n === 0) throw new DerError("the default version (v1) is explicitly encoded");
  if (n !== 1 && n !== 2) throw new DerError(`unknown certificate version ${n === undefined ? "(negative or huge)" : n + 1}`);
  return n + 1;
}

/**
 * §4.1.2.5: "CAs conforming to this profile MUST always encode certificate validity dates
 * through the year 2049 as UTCTime; certificate validity dates in 2050 or later MUST be
 * encoded as GeneralizedTime."
 */
function readValidityTime(element: DerElement): Date {
  const date = decodeTime(element);
  const utc = element.tag === TAG_UTC_TIME;
  if (utc !== date.getUTCFullYear() < 2050) throw new DerError(`a validity date in ${date.getUTCFullYear()} must be ${utc ? "GeneralizedTime" : "UTCTime"}`);
  return date;
}

/** A DER BIT STRING's contents: at most 7 unused bits, all zero (X.690 §11.2.1). */
function checkBitString(value: Uint8Array, what: string): void {
  const unused = value[0];
  if (unused === undefined || unused > 7 || (value.length === 1 && unused !== 0) || (value.length > 1 && (value[value.length - 1]! & ((1 << unused) - 1)) !== 0)) {
    throw new DerError(`malformed ${what} BIT STRING`);
  }
}

function sameAlgorithm(a: AlgorithmInfo, b: AlgorithmInfo): boolean {
  return a.oid === b.oid && (a.params === undefined ? b.params === undefined : b.params !== undefined && bytesEqual(a.params, b.params));
}

/** §4.1.2.2: a positive integer of at most 20 octets. */
function checkSerial(serial: Uint8Array): void {
  checkInteger(serial);
  if (serial[0]! & 0x80) throw new DerError("negative serial number");
  const magnitude = serial[0] === 0 ? serial.subarray(1) : serial;
  if (magnitude.length === 0) throw new DerError("zero serial number");
  if (magnitude.length > MAX_SERIAL_OCTETS) throw new DerError(`serial number of ${magnitude.length} octets (at most ${MAX_SERIAL_OCTETS})`);
}

function readAlgorithm(element: DerElement): AlgorithmInfo {
  const r = inside(element);
  const oid = r.readOid();
  const params = r.done ? undefined : r.read().tlv;
  r.end();
  return { oid, params };
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; each OID at most once (§4.2). */
function readExtensions(element: DerElement, info: Mutable<CertificateInfo>): void {
  const wrapper = inside(element);
  const list = inside(wrapper.read(0x30));
  wrapper.end();
  if (list.done) throw new DerError("empty extensions");
  const seen = new Set<string>();
  const unhandled: string[] = [];
  while (!list.done) {
    within(seen.size + 1, MAX_EXTENSIONS, "extensions");
    const e = inside(list.read(0x30));
    const oid = e.readOid();
    const criticalElement = e.readOptional(0x01);
    const critical = criticalElement ? decodeBoolean(criticalElement.value) : false;
    // DER (X.690 §11.5): critical DEFAULT FALSE is never encoded as FALSE.
    if (criticalElement && !critical) throw new DerError(`extension ${oid} encodes critical FALSE, its default`);
    const value = e.read(0x04).value;
    e.end();
    if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
    seen.add(oid);
    try {
      readExtension(oid, critical, value, info);
    } catch (err) {
      if (err instanceof DerError) throw new DerError(`extension ${oid}: ${err.message}`);
      throw err;
    }
    if (critical && !HANDLED_EXTENSIONS.has(oid)) unhandled.push(oid);
  }
  info.unhandledCriticalExtensions = unhandled;
}

function readExtension(oid: string, critical: boolean, value: Uint8Array<ArrayBuffer>, info: Mutable<CertificateInfo>): void {
  switch (oid) {
    case OID_SUBJECT_ALT_NAME:
      info.subjectAltNames = readGeneralNames(value);
      info.uriSans = info.subjectAltNames.flatMap((n) => (n.type === "uri" ? [n.value] : []));
      return;
    case OID_BASIC_CONSTRAINTS: {
      const bc = readBasicConstraints(value);
      info.isCa = bc.isCa;
      info.pathLenConstraint = bc.pathLen;
      return;
    }
    case OID_KEY_USAGE:
      info.keyUsage = readKeyUsage(value);
      return;
    case OID_EXT_KEY_USAGE:
      info.extKeyUsage = readExtKeyUsage(value);
      return;
    case OID_NAME_CONSTRAINTS:
      info.nameConstraints = readNameConstraints(value);
      return;
    case OID_CERTIFICATE_POLICIES:
      info.policies = readCertificatePolicies(value);
      return;
    case OID_POLICY_MAPPINGS:
      info.policyMappings = readPolicyMappings(value);
      return;
    case OID_POLICY_CONSTRAINTS:
      info.policyConstraints = readPolicyConstraints(value);
      return;
    case OID_INHIBIT_ANY_POLICY:
      info.inhibitAnyPolicy = readInhibitAnyPolicy(value);
      return;
    case OID_SUBJECT_KEY_ID:
      // §4.2.1.2: conforming CAs MUST mark this extension as non-critical.
      if (critical) throw new DerError("subjectKeyIdentifier must not be critical");
      info.subjectKeyId = readSubjectKeyId(value);
      return;
    case OID_AUTHORITY_KEY_ID:
      // §4.2.1.1: conforming CAs MUST mark this extension as non-critical.
      if (critical) throw new DerError("authorityKeyIdentifier must not be critical");
      info.authorityKeyId = readAuthorityKeyId(value);
      return;
  }
}
