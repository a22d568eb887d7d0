// Certificate signature checks on Web Crypto with cached issuer keys and pre-decoded
// signatures: the hot path of verifyX509Svid. Keys are imported straight from the issuer's
// DER SubjectPublicKeyInfo, once per parsed certificate (bundle authorities are parsed once
// per bundle, intermediates are kept by the parsed-certificate cache), and each ECDSA
// signature is decoded once per parsed certificate. Algorithms outside the fast path
// (e.g. RSA-PSS, Ed25519) go through pkijs. Not exported.
import * as pkijs from "pkijs";
import { bytesEqual } from "../../lib/bytes.ts";
import type { AlgorithmInfo, CertificateInfo } from "../../lib/certificate.ts";
import { decodeOid } from "../../lib/der-reader.ts";

type VerifyAlgorithm = { name: "ECDSA"; hash: string } | { name: "RSASSA-PKCS1-v1_5"; hash: string };
type ImportAlgorithm = { name: "ECDSA"; namedCurve: string } | { name: "RSASSA-PKCS1-v1_5"; hash: string };

const SIGNATURE_ALGORITHMS: Readonly<Record<string, VerifyAlgorithm>> = {
  "1.2.840.10045.4.3.2": { name: "ECDSA", hash: "SHA-256" },
  "1.2.840.10045.4.3.3": { name: "ECDSA", hash: "SHA-384" },
  "1.2.840.10045.4.3.4": { name: "ECDSA", hash: "SHA-512" },
  "1.2.840.113549.1.1.11": { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  "1.2.840.113549.1.1.12": { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" },
  "1.2.840.113549.1.1.13": { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" },
};
const CURVES: Readonly<Record<string, { name: string; size: number }>> = {
  "1.2.840.10045.3.1.7": { name: "P-256", size: 32 },
  "1.3.132.0.34": { name: "P-384", size: 48 },
  "1.3.132.0.35": { name: "P-521", size: 66 },
};
const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";

/** Per-certificate caches; parsed certificates are immutable. */
const keys = new WeakMap<CertificateInfo, Map<string, Promise<CryptoKey | undefined>>>();
const rawSignatures = new WeakMap<CertificateInfo, Map<number, Uint8Array<ArrayBuffer> | undefined>>();
const fullParses = new WeakMap<CertificateInfo, pkijs.Certificate | undefined>();

/** True when `subject`'s signature verifies under `issuer`'s public key. Never throws. */
export async function isSignedBy(subject: CertificateInfo, issuer: CertificateInfo): Promise<boolean> {
  try {
    // RFC 5280 §4.1.1.2: the signed and the outer algorithm identifiers must match.
    if (!sameAlgorithm(subject.tbsSignatureAlgorithm, subject.signatureAlgorithm)) return false;
    const alg = SIGNATURE_ALGORITHMS[subject.signatureAlgorithm.oid];
    if (!alg) return await pkijsVerify(subject, issuer);
    const curve = curveOf(issuer.spkiAlgorithm);
    const importAlg = importAlgorithmOf(issuer, alg, curve);
    if (!importAlg) return false;
    const key = await publicKeyOf(issuer, importAlg);
    if (!key) return false;
    let signature: Uint8Array<ArrayBuffer> | undefined = subject.signatureValue;
    if (alg.name === "ECDSA") {
      signature = rawEcdsaSignature(subject, curve!.size);
      if (!signature) return false;
    }
    return await crypto.subtle.verify(alg, key, signature, subject.tbs);
  } catch {
    return false;
  }
}

function sameAlgorithm(a: AlgorithmInfo, b: AlgorithmInfo): boolean {
  return a.oid === b.oid && (a.params === undefined ? b.params === undefined : b.params !== undefined && bytesEqual(a.params, b.params));
}

/** The named curve of an EC key (its parameters are the curve OID), if known. */
function curveOf(spkiAlgorithm: AlgorithmInfo): { name: string; size: number } | undefined {
  const params = spkiAlgorithm.params;
  if (spkiAlgorithm.oid !== OID_EC_PUBLIC_KEY || !params || params[0] !== 0x06 || params[1] !== params.length - 2) return undefined;
  return CURVES[decodeOid(params.subarray(2))];
}

function importAlgorithmOf(issuer: CertificateInfo, alg: VerifyAlgorithm, curve: { name: string } | undefined): ImportAlgorithm | undefined {
  if (alg.name === "ECDSA") return curve ? { name: "ECDSA", namedCurve: curve.name } : undefined;
  return issuer.spkiAlgorithm.oid === OID_RSA_ENCRYPTION ? { name: "RSASSA-PKCS1-v1_5", hash: alg.hash } : undefined;
}

function publicKeyOf(cert: CertificateInfo, alg: ImportAlgorithm): Promise<CryptoKey | undefined> {
  const id = alg.name === "ECDSA" ? `${alg.name}/${alg.namedCurve}` : `${alg.name}/${alg.hash}`;
  let perCert = keys.get(cert);
  if (!perCert) keys.set(cert, (perCert = new Map()));
  let key = perCert.get(id);
  if (!key) {
    key = crypto.subtle.importKey("spki", cert.spki, alg, false, ["verify"]).then(
      (k) => k,
      () => undefined,
    );
    perCert.set(id, key);
  }
  return key;
}

/** The ECDSA signature as r‖s (each `size` bytes), decoded from DER once per certificate. */
function rawEcdsaSignature(cert: CertificateInfo, size: number): Uint8Array<ArrayBuffer> | undefined {
  let perCert = rawSignatures.get(cert);
  if (!perCert) rawSignatures.set(cert, (perCert = new Map()));
  if (!perCert.has(size)) perCert.set(size, decodeEcdsaSignature(cert.signatureValue, size));
  return perCert.get(size);
}

/** Other algorithms: pkijs' own check, on pkijs' own parse of both certificates. */
async function pkijsVerify(subject: CertificateInfo, issuer: CertificateInfo): Promise<boolean> {
  const s = fullParse(subject);
  const i = fullParse(issuer);
  return s !== undefined && i !== undefined && (await s.verify(i));
}

function fullParse(info: CertificateInfo): pkijs.Certificate | undefined {
  if (!fullParses.has(info)) {
    let cert: pkijs.Certificate | undefined;
    try {
      cert = pkijs.Certificate.fromBER(info.der);
    } catch {
      cert = undefined;
    }
    fullParses.set(info, cert);
  }
  return fullParses.get(info);
}

/** Strict DER `SEQUENCE { INTEGER r, INTEGER s }` → r‖s; undefined if malformed or too large. */
export function decodeEcdsaSignature(der: Uint8Array, size: number): Uint8Array<ArrayBuffer> | undefined {
  let pos = 0;
  const readLength = (): number | undefined => {
    const first = der[pos++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first !== 0x81) return undefined; // signatures are < 256 bytes
    const len = der[pos++];
    return len !== undefined && len >= 0x80 ? len : undefined;
  };
  if (der[pos++] !== 0x30) return undefined;
  const seqLen = readLength();
  if (seqLen === undefined || pos + seqLen !== der.length) return undefined;
  const out = new Uint8Array(2 * size);
  for (let i = 0; i < 2; i++) {
    if (der[pos++] !== 0x02) return undefined;
    const len = readLength();
    if (len === undefined || len === 0 || pos + len > der.length) return undefined;
    let int = der.subarray(pos, pos + len);
    pos += len;
    if (int[0]! & 0x80) return undefined; // negative
    if (int.length > 1 && int[0] === 0 && !(int[1]! & 0x80)) return undefined; // non-minimal
    if (int[0] === 0 && int.length > 1) int = int.subarray(1);
    if (int.length > size) return undefined;
    out.set(int, i * size + size - int.length);
  }
  return pos === der.length ? out : undefined;
}
