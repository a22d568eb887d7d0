// PKCS#8 private keys of X.509-SVIDs: decoding (PEM or DER), algorithm detection and the
// check that the key belongs to the leaf certificate. Never puts key material in messages.
// Not exported from the package.
import * as pkijs from "pkijs";
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import { copyBytes, isBytes } from "../../lib/bytes.ts";
import type { CertificateInfo } from "../../lib/certificate.ts";
import { derElementLength } from "../../lib/der.ts";
import { decodePem, looksLikePem } from "../../lib/pem.ts";

/** Largest accepted private key input (an RSA-8192 PKCS#8 key is about 5 KiB). */
export const MAX_PRIVATE_KEY_BYTES = 64 * 1024;

const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const CURVES: Readonly<Record<string, "P-256" | "P-384">> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
};

type KeyAlgorithm = { readonly name: "ECDSA"; readonly namedCurve: "P-256" | "P-384" } | { readonly name: "RSASSA-PKCS1-v1_5"; readonly hash: "SHA-256" };

/**
 * Decodes a PKCS#8 private key (PEM `PRIVATE KEY` block or DER) into a DER copy.
 *
 * @throws {X509SvidError} `ERR_X509_SVID_PRIVATE_KEY`, `ERR_X509_SVID_TOO_LARGE`.
 */
export function decodePrivateKey(input: string | Uint8Array): Uint8Array<ArrayBuffer> {
  let der: Uint8Array<ArrayBuffer>;
  if (typeof input === "string") {
    if (input.length > MAX_PRIVATE_KEY_BYTES) throw new X509SvidError("ERR_X509_SVID_TOO_LARGE", `the private key exceeds ${MAX_PRIVATE_KEY_BYTES} bytes`);
    if (!looksLikePem(input)) throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", 'the private key text must be PEM ("-----BEGIN PRIVATE KEY-----", PKCS#8)');
    const blocks = decodePem(input);
    if (typeof blocks === "string") throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", `the private key PEM is malformed: ${blocks}`);
    if (blocks.length !== 1 || blocks[0]!.label !== "PRIVATE KEY") {
      const labels = blocks.map((b) => `"${b.label}"`).join(", ");
      throw new X509SvidError(
        "ERR_X509_SVID_PRIVATE_KEY",
        `expected exactly one PKCS#8 "PRIVATE KEY" PEM block, got ${labels} (convert SEC1/PKCS#1 keys with "openssl pkcs8 -topk8 -nocrypt")`,
      );
    }
    der = blocks[0]!.der;
  } else if (isBytes(input)) {
    if (input.byteLength > MAX_PRIVATE_KEY_BYTES) throw new X509SvidError("ERR_X509_SVID_TOO_LARGE", `the private key exceeds ${MAX_PRIVATE_KEY_BYTES} bytes`);
    der = copyBytes(input);
  } else {
    throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", `the private key must be a PEM string or PKCS#8 DER bytes, got ${input === null ? "null" : typeof input}`);
  }
  if (der.length === 0) throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", "the private key is empty");
  if (der[0] !== 0x30 || derElementLength(der, 0) !== der.length) {
    throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", "the private key is not a single DER-encoded PKCS#8 PrivateKeyInfo");
  }
  return der;
}

/**
 * Checks that the PKCS#8 key `der` is an EC P-256/P-384 or RSA key whose public half is the
 * leaf certificate's public key (compared through Web Crypto JWK exports).
 *
 * @throws {X509SvidError} `ERR_X509_SVID_PRIVATE_KEY`, `ERR_X509_SVID_UNSUPPORTED_KEY`,
 *   `ERR_X509_SVID_KEY_MISMATCH`.
 */
export async function checkKeyMatchesLeaf(der: Uint8Array<ArrayBuffer>, leaf: CertificateInfo): Promise<void> {
  let info: pkijs.PrivateKeyInfo;
  try {
    info = pkijs.PrivateKeyInfo.fromBER(der);
  } catch {
    throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", "the private key is not a PKCS#8 PrivateKeyInfo");
  }
  const keyAlg = algorithmOf(info.privateKeyAlgorithm, "the private key");
  const spki = leaf.pkijs.subjectPublicKeyInfo;
  const leafAlg = algorithmOf(spki.algorithm, "the leaf certificate's public key");
  if (keyAlg.name !== leafAlg.name || curveOf(keyAlg) !== curveOf(leafAlg)) {
    throw new X509SvidError(
      "ERR_X509_SVID_KEY_MISMATCH",
      `the private key (${describe(keyAlg)}) does not match the leaf certificate's public key (${describe(leafAlg)})`,
    );
  }
  let privateJwk: JsonWebKey;
  try {
    const key = await crypto.subtle.importKey("pkcs8", der, keyAlg, true, ["sign"]);
    privateJwk = await crypto.subtle.exportKey("jwk", key);
  } catch (err) {
    throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", `the ${describe(keyAlg)} private key cannot be imported (${errorName(err)})`);
  }
  let publicJwk: JsonWebKey;
  try {
    const spkiDer = new Uint8Array(spki.toSchema().toBER(false));
    const key = await crypto.subtle.importKey("spki", spkiDer, keyAlg, true, ["verify"]);
    publicJwk = await crypto.subtle.exportKey("jwk", key);
  } catch (err) {
    throw new X509SvidError("ERR_X509_SVID_UNSUPPORTED_KEY", `the leaf certificate's ${describe(leafAlg)} public key cannot be imported (${errorName(err)})`);
  }
  const fields = keyAlg.name === "ECDSA" ? (["x", "y"] as const) : (["n", "e"] as const);
  const same = fields.every((f) => typeof privateJwk[f] === "string" && privateJwk[f] === publicJwk[f]);
  if (!same) {
    throw new X509SvidError("ERR_X509_SVID_KEY_MISMATCH", `the private key does not belong to the leaf certificate (serial ${leaf.serialNumberHex})`);
  }
}

function algorithmOf(alg: pkijs.AlgorithmIdentifier, what: string): KeyAlgorithm {
  if (alg.algorithmId === OID_RSA_ENCRYPTION) return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  if (alg.algorithmId === OID_EC_PUBLIC_KEY) {
    const params: unknown = alg.algorithmParams;
    const oid = params && typeof params === "object" && "getValue" in params && typeof params.getValue === "function" ? String(params.getValue()) : "";
    const curve = CURVES[oid];
    if (curve) return { name: "ECDSA", namedCurve: curve };
    throw new X509SvidError("ERR_X509_SVID_UNSUPPORTED_KEY", `${what} uses an unsupported elliptic curve (${oid || "unknown"}); supported: P-256, P-384`);
  }
  throw new X509SvidError("ERR_X509_SVID_UNSUPPORTED_KEY", `${what} has unsupported algorithm ${alg.algorithmId}; supported: EC P-256, EC P-384, RSA`);
}

function curveOf(alg: KeyAlgorithm): string {
  return alg.name === "ECDSA" ? alg.namedCurve : "";
}

function describe(alg: KeyAlgorithm): string {
  return alg.name === "ECDSA" ? `EC ${alg.namedCurve}` : "RSA";
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "error";
}

