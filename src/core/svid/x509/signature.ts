// Certificate signature checks on Web Crypto: the algorithm policy and the key policy are
// applied first (no crypto work for a refused algorithm or key), then the signature is
// verified with the issuer's key, imported once per parsed certificate and algorithm.
// ECDSA signatures are decoded from DER once per parsed certificate. Not exported.
import type { CertificateInfo } from "../../lib/certificate.ts";
import type { PublicKey } from "../../lib/x509/public-key.ts";
import { type SignatureScheme, signatureSchemeOf } from "../../lib/x509/signature-algorithm.ts";

type Scheme = Exclude<SignatureScheme, { kind: "refused" }>;

const schemes = new WeakMap<CertificateInfo, SignatureScheme>();
const keys = new WeakMap<CertificateInfo, Map<string, Promise<CryptoKey | undefined>>>();
const rawSignatures = new WeakMap<CertificateInfo, Map<number, Uint8Array<ArrayBuffer> | undefined>>();

/** The scheme `cert` is signed with, or why the algorithm policy refuses it (a weak or unknown algorithm, or wrong parameters). */
export function signatureSchemeOfCertificate(cert: CertificateInfo): SignatureScheme {
  let scheme = schemes.get(cert);
  if (!scheme) schemes.set(cert, (scheme = signatureSchemeOf(cert.signatureAlgorithm)));
  return scheme;
}

/** Why the key policy refuses `issuer`'s key, or undefined. */
export function issuerKeyProblem(issuer: CertificateInfo): string | undefined {
  return issuer.publicKey.problem;
}

/** True when `issuer`'s key is of the kind `scheme` needs (an EC key for ECDSA, ...): otherwise it did not sign. */
export function keyFitsScheme(issuer: CertificateInfo, scheme: Scheme): boolean {
  const kind = issuer.publicKey.kind;
  return scheme.kind === "ecdsa" ? kind === "ec" : scheme.kind === "ed25519" ? kind === "okp" && issuer.publicKey.crv === "Ed25519" : kind === "rsa";
}

/**
 * True when `subject`'s signature verifies under `issuer`'s key. The caller has checked the
 * scheme and the key with the functions above. Never throws.
 */
export async function isSignedBy(subject: CertificateInfo, issuer: CertificateInfo, scheme: Scheme): Promise<boolean> {
  try {
    const key = await importKey(issuer, scheme);
    if (!key) return false;
    switch (scheme.kind) {
      case "ecdsa": {
        const signature = rawEcdsaSignature(subject, (issuer.publicKey as Extract<PublicKey, { kind: "ec" }>).curve.size);
        return signature !== undefined && (await crypto.subtle.verify({ name: "ECDSA", hash: scheme.hash }, key, signature, subject.tbs));
      }
      case "rsa-pkcs1":
        return await crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, key, subject.signatureValue, subject.tbs);
      case "rsa-pss":
        return await crypto.subtle.verify({ name: "RSA-PSS", saltLength: scheme.saltLength }, key, subject.signatureValue, subject.tbs);
      case "ed25519":
        return await crypto.subtle.verify({ name: "Ed25519" }, key, subject.signatureValue, subject.tbs);
    }
  } catch {
    return false;
  }
}

function importKey(issuer: CertificateInfo, scheme: Scheme): Promise<CryptoKey | undefined> {
  const key = issuer.publicKey;
  let alg: EcKeyImportParams | RsaHashedImportParams | Algorithm;
  if (scheme.kind === "ecdsa" && key.kind === "ec") alg = { name: "ECDSA", namedCurve: key.curve.name };
  else if (scheme.kind === "rsa-pkcs1") alg = { name: "RSASSA-PKCS1-v1_5", hash: scheme.hash };
  else if (scheme.kind === "rsa-pss") alg = { name: "RSA-PSS", hash: scheme.hash };
  else alg = { name: "Ed25519" };
  const id = `${alg.name}/${"hash" in alg ? String(alg.hash) : ""}`;
  let perCert = keys.get(issuer);
  if (!perCert) keys.set(issuer, (perCert = new Map()));
  let imported = perCert.get(id);
  if (!imported) {
    imported = crypto.subtle.importKey("spki", issuer.spki, alg, false, ["verify"]).then(
      (k) => k,
      () => undefined,
    );
    perCert.set(id, imported);
  }
  return imported;
}

/** The ECDSA signature as r‖s for a curve of `size`-byte coordinates, decoded once per certificate. */
function rawEcdsaSignature(cert: CertificateInfo, size: number): Uint8Array<ArrayBuffer> | undefined {
  let perCert = rawSignatures.get(cert);
  if (!perCert) rawSignatures.set(cert, (perCert = new Map()));
  if (!perCert.has(size)) perCert.set(size, decodeEcdsaSignature(cert.signatureValue, size));
  return perCert.get(size);
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
