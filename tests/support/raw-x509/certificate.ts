// TBSCertificate and Certificate (RFC 5280 §4.1) from fields, each of which can be given as
// a value or replaced by raw bytes, then signed by a Signer.
import { bitString, concat, type Der, explicit, implicit, integer, seq, time } from "./der.ts";
import { encodeExtension, type Extension } from "./extensions.ts";
import type { Signer } from "./signers.ts";

/** Every field of a TBSCertificate; a `Der` value is written as is. */
export interface TbsFields {
  /** Version number (0 = v1, 2 = v3) written as [0] EXPLICIT INTEGER; `null` omits the field (v1 by DEFAULT); or raw. */
  version: number | null | Der;
  /** A bigint is encoded minimally (negative and zero allowed); raw for any INTEGER encoding. */
  serial: bigint | Der;
  /** TBSCertificate.signature AlgorithmIdentifier. */
  signature: Der;
  issuer: Der;
  /** notBefore/notAfter as dates (UTCTime through 2049) or raw Time values; or the whole raw Validity. */
  validity: { notBefore: Date | Der; notAfter: Date | Der } | Der;
  subject: Der;
  /** SubjectPublicKeyInfo DER. */
  spki: Der;
  /** issuerUniqueID BIT STRING content (first octet = unused bits), written as [1] IMPLICIT. */
  issuerUniqueId?: Der;
  /** subjectUniqueID, as [2] IMPLICIT. */
  subjectUniqueId?: Der;
  /** Extensions (structured or raw Extension TLVs); `undefined` omits [3]; `[]` writes an empty list (not DER-valid). */
  extensions?: readonly (Extension | Der)[];
  /** Raw bytes replacing the whole [3] field. */
  extensionsField?: Der;
  /** Bytes appended inside the TBSCertificate SEQUENCE, after everything else. */
  trailing?: Der;
}

const encodeTime = (t: Date | Der): Der => (t instanceof Date ? time(t) : t);

/** The DER of a TBSCertificate. */
export function encodeTbs(f: TbsFields): Der {
  const version = f.version === null ? new Uint8Array(0) : typeof f.version === "number" ? explicit(0, integer(f.version)) : f.version;
  const serial = typeof f.serial === "bigint" ? integer(f.serial) : f.serial;
  const validity = f.validity instanceof Uint8Array ? f.validity : seq(encodeTime(f.validity.notBefore), encodeTime(f.validity.notAfter));
  const exts =
    f.extensionsField ??
    (f.extensions === undefined ? new Uint8Array(0) : explicit(3, seq(...f.extensions.map((e) => (e instanceof Uint8Array ? e : encodeExtension(e))))));
  return seq(
    version,
    serial,
    f.signature,
    f.issuer,
    validity,
    f.subject,
    f.spki,
    f.issuerUniqueId ? implicit(1, f.issuerUniqueId) : new Uint8Array(0),
    f.subjectUniqueId ? implicit(2, f.subjectUniqueId) : new Uint8Array(0),
    exts,
    f.trailing ?? new Uint8Array(0),
  );
}

/** The outer parts of a Certificate. */
export interface CertificateParts {
  /** TBSCertificate DER (signed as is). */
  tbs: Der;
  /** Certificate.signatureAlgorithm. */
  signatureAlgorithm: Der;
  /** Signature octets. */
  signature: Der;
  /** Bytes appended inside the Certificate SEQUENCE. */
  inner?: Der;
  /** Bytes appended after the Certificate SEQUENCE (trailing data). */
  after?: Der;
}

/** The DER of a Certificate. */
export function encodeCertificate(c: CertificateParts): Der {
  return concat(seq(c.tbs, c.signatureAlgorithm, bitString(c.signature), c.inner ?? new Uint8Array(0)), c.after ?? new Uint8Array(0));
}

/** Options of {@link signCertificate}. */
export interface SignOptions {
  /** Certificate.signatureAlgorithm when it must differ from the signer's (and from TBS.signature). */
  outerAlgorithm?: Der;
  inner?: Der;
  after?: Der;
}

/** Signs the encoded TBSCertificate with `signer` and returns the Certificate DER. */
export async function signTbs(tbs: Der, signer: Signer, o: SignOptions = {}): Promise<Der> {
  return encodeCertificate({ tbs, signatureAlgorithm: o.outerAlgorithm ?? signer.algorithm, signature: await signer.sign(tbs), inner: o.inner, after: o.after });
}

/** Encodes `fields` and signs them with `signer`. */
export function signCertificate(fields: TbsFields, signer: Signer, o: SignOptions = {}): Promise<Der> {
  return signTbs(encodeTbs(fields), signer, o);
}
