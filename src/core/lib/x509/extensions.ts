// Decoders for the certificate extensions the SDK processes (RFC 5280 §4.2.1), each strict
// about DER and about what RFC 5280 says conforming certificates never contain. Each takes
// the extnValue contents and throws `DerError` when they are malformed. Not exported.
import { checkInteger, DerError, type DerElement, DerReader, decodeBoolean, decodeSmallInteger, inside } from "../der-reader.ts";
import { type GeneralName, readGeneralName, readGeneralNames } from "./general-names.ts";
import { MAX_GENERAL_NAMES, MAX_LIST_ITEMS, within } from "./limits.ts";

export const OID_SUBJECT_KEY_ID = "2.5.29.14";
export const OID_KEY_USAGE = "2.5.29.15";
export const OID_SUBJECT_ALT_NAME = "2.5.29.17";
export const OID_BASIC_CONSTRAINTS = "2.5.29.19";
export const OID_NAME_CONSTRAINTS = "2.5.29.30";
export const OID_CERTIFICATE_POLICIES = "2.5.29.32";
export const OID_POLICY_MAPPINGS = "2.5.29.33";
export const OID_AUTHORITY_KEY_ID = "2.5.29.35";
export const OID_POLICY_CONSTRAINTS = "2.5.29.36";
export const OID_EXT_KEY_USAGE = "2.5.29.37";
export const OID_INHIBIT_ANY_POLICY = "2.5.29.54";
export const ANY_POLICY = "2.5.29.32.0";

/** Key usage bits (RFC 5280 §4.2.1.3) the SPIFFE rules look at. */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

export interface BasicConstraints {
  readonly isCa: boolean;
  readonly pathLen: number | undefined;
}

/** NameConstraints (RFC 5280 §4.2.1.10): the bases of the permitted and excluded subtrees. */
export interface NameConstraints {
  readonly permitted: readonly GeneralName[] | undefined;
  readonly excluded: readonly GeneralName[] | undefined;
}

export interface PolicyConstraints {
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
}

/** A policy mapping: issuerDomainPolicy → subjectDomainPolicy. */
export interface PolicyMapping {
  readonly issuerDomainPolicy: string;
  readonly subjectDomainPolicy: string;
}

function only(value: Uint8Array<ArrayBuffer>, tag: number): DerElement {
  const r = new DerReader(value);
  const element = r.read(tag);
  r.end();
  return element;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }. */
export function readBasicConstraints(value: Uint8Array<ArrayBuffer>): BasicConstraints {
  const r = inside(only(value, 0x30));
  const ca = r.readOptional(0x01);
  const len = r.readOptional(0x02);
  r.end();
  // DER (X.690 §11.5): a value equal to its DEFAULT is not encoded, so cA is TRUE or absent.
  if (ca && !decodeBoolean(ca.value)) throw new DerError("basicConstraints encodes cA FALSE, its default");
  const isCa = ca !== undefined;
  let pathLen: number | undefined;
  if (len) {
    pathLen = decodeSmallInteger(len.value);
    if (pathLen === undefined) throw new DerError("basicConstraints pathLenConstraint is out of range");
    // §4.2.1.9: CAs MUST NOT include the pathLenConstraint field unless the cA boolean is asserted.
    if (!isCa) throw new DerError("basicConstraints has a pathLenConstraint without cA");
  }
  return { isCa, pathLen };
}

/**
 * KeyUsage ::= BIT STRING. DER (X.690 §11.2.1): the unused bits are zero, so a bit hidden in
 * the padding is malformed, not ignored; §4.2.1.3: at least one bit is set.
 */
export function readKeyUsage(value: Uint8Array<ArrayBuffer>): KeyUsage {
  const bits = only(value, 0x03).value;
  const unused = bits[0];
  if (unused === undefined || unused > 7 || (bits.length === 1 && unused !== 0)) throw new DerError("malformed keyUsage BIT STRING");
  if (bits.length > 1 && (bits[bits.length - 1]! & ((1 << unused) - 1)) !== 0) throw new DerError("keyUsage has bits set in its unused (padding) bits");
  if (!bits.subarray(1).some((b) => b !== 0)) throw new DerError("keyUsage has no bit set");
  // X.690 §11.2.2: a named bit list is encoded without trailing 0 bits.
  if ((bits[bits.length - 1]! & (1 << unused)) === 0) throw new DerError("keyUsage is encoded with trailing zero bits");
  const first = bits[1] ?? 0;
  return { digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0, cRLSign: (first & 0x02) !== 0 };
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId. */
export function readExtKeyUsage(value: Uint8Array<ArrayBuffer>): string[] {
  const r = inside(only(value, 0x30));
  const out: string[] = [];
  while (!r.done) {
    within(out.length + 1, MAX_LIST_ITEMS, "extended key usages");
    out.push(r.readOid());
  }
  if (out.length === 0) throw new DerError("empty extendedKeyUsage");
  return out;
}

/** SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING). */
export function readSubjectKeyId(value: Uint8Array<ArrayBuffer>): Uint8Array {
  const id = only(value, 0x04).value;
  if (id.length === 0) throw new DerError("empty subjectKeyIdentifier");
  return id;
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0], authorityCertIssuer [1], authorityCertSerialNumber [2] } (all optional). */
export function readAuthorityKeyId(value: Uint8Array<ArrayBuffer>): Uint8Array | undefined {
  const r = inside(only(value, 0x30));
  const keyId = r.readOptional(0x80);
  const issuer = r.readOptional(0xa1);
  const serial = r.readOptional(0x82);
  r.end();
  // §4.2.1.1: authorityCertIssuer and authorityCertSerialNumber come together or not at all.
  if ((issuer === undefined) !== (serial === undefined)) throw new DerError("authorityKeyIdentifier has only one of issuer and serial");
  if (issuer) readGeneralNames(issuer.tlv, 0xa1);
  if (serial) checkInteger(serial.value);
  return keyId?.value;
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 * excludedSubtrees [1] GeneralSubtrees OPTIONAL }. §4.2.1.10: the extension is never empty,
 * `minimum` MUST be zero (so, in DER, absent) and `maximum` MUST be absent.
 */
export function readNameConstraints(value: Uint8Array<ArrayBuffer>): NameConstraints {
  const r = inside(only(value, 0x30));
  const permitted = r.readOptional(0xa0);
  const excluded = r.readOptional(0xa1);
  r.end();
  if (!permitted && !excluded) throw new DerError("empty nameConstraints");
  return { permitted: permitted && readSubtrees(permitted), excluded: excluded && readSubtrees(excluded) };
}

function readSubtrees(element: DerElement): GeneralName[] {
  const r = inside(element);
  const out: GeneralName[] = [];
  while (!r.done) {
    within(out.length + 1, MAX_GENERAL_NAMES, "name-constraint subtrees");
    const subtree = inside(r.read(0x30));
    out.push(readGeneralName(subtree.read(), true));
    if (!subtree.done) throw new DerError("a name-constraint subtree has minimum or maximum (RFC 5280 §4.2.1.10: minimum is 0, maximum absent)");
  }
  if (out.length === 0) throw new DerError("empty GeneralSubtrees");
  return out;
}

/** certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation; each OID at most once (§4.2.1.4). */
export function readCertificatePolicies(value: Uint8Array<ArrayBuffer>): string[] {
  const r = inside(only(value, 0x30));
  const out: string[] = [];
  while (!r.done) {
    within(out.length + 1, MAX_LIST_ITEMS, "certificate policies");
    const info = inside(r.read(0x30));
    const oid = info.readOid();
    const qualifiers = info.readOptional(0x30);
    info.end();
    if (qualifiers) {
      const q = inside(qualifiers);
      if (q.done) throw new DerError("empty policyQualifiers");
      for (let n = 1; !q.done; n++) {
        within(n, MAX_LIST_ITEMS, "policy qualifiers");
        const pq = inside(q.read(0x30));
        pq.readOid();
        if (!pq.done) pq.read();
        pq.end();
      }
    }
    if (out.includes(oid)) throw new DerError(`certificate policy ${oid} appears twice`);
    out.push(oid);
  }
  if (out.length === 0) throw new DerError("empty certificatePolicies");
  return out;
}

/** PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { issuerDomainPolicy, subjectDomainPolicy }. */
export function readPolicyMappings(value: Uint8Array<ArrayBuffer>): PolicyMapping[] {
  const r = inside(only(value, 0x30));
  const out: PolicyMapping[] = [];
  while (!r.done) {
    within(out.length + 1, MAX_LIST_ITEMS, "policy mappings");
    const m = inside(r.read(0x30));
    const issuerDomainPolicy = m.readOid();
    const subjectDomainPolicy = m.readOid();
    m.end();
    out.push({ issuerDomainPolicy, subjectDomainPolicy });
  }
  if (out.length === 0) throw new DerError("empty policyMappings");
  return out;
}

/** PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] SkipCerts OPTIONAL, inhibitPolicyMapping [1] SkipCerts OPTIONAL }, never empty (§4.2.1.11). */
export function readPolicyConstraints(value: Uint8Array<ArrayBuffer>): PolicyConstraints {
  const r = inside(only(value, 0x30));
  const require = r.readOptional(0x80);
  const inhibit = r.readOptional(0x81);
  r.end();
  if (!require && !inhibit) throw new DerError("empty policyConstraints");
  return { requireExplicitPolicy: require && skipCerts(require.value), inhibitPolicyMapping: inhibit && skipCerts(inhibit.value) };
}

/** InhibitAnyPolicy ::= SkipCerts. */
export function readInhibitAnyPolicy(value: Uint8Array<ArrayBuffer>): number {
  return skipCerts(only(value, 0x02).value);
}

/** SkipCerts ::= INTEGER (0..MAX); values of 2^31 and more are refused (no path is that long; Go refuses them too). */
function skipCerts(value: Uint8Array): number {
  const n = decodeSmallInteger(value);
  if (n === undefined) throw new DerError("SkipCerts is negative or too large");
  return n;
}
