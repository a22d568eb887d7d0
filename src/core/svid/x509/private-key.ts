// PKCS#8 private keys of X.509-SVIDs: decoding (PEM or DER), algorithm detection with the
// strict DER reader, and the check that the key belongs to the leaf certificate (through
// Web Crypto). Never puts key material in messages. Not exported from the package.
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import { encodeBase64Url } from "../../lib/base64url.ts";
import { copyBytes, isBytes } from "../../lib/bytes.ts";
import type { CertificateInfo } from "../../lib/certificate.ts";
import { decodeSmallInteger, DerReader, inside } from "../../lib/der-reader.ts";
import { decodePem, looksLikePem } from "../../lib/pem.ts";
import type { PublicKey } from "../../lib/x509/public-key.ts";

/** Largest accepted private key input (an RSA-8192 PKCS#8 key is about 5 KiB). */
export const MAX_PRIVATE_KEY_BYTES = 64 * 1024;

const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const OID_ED25519 = "1.3.101.112";
const CURVES: Readonly<Record<string, "P-256" | "P-384" | "P-521">> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};
const SUPPORTED = "EC P-256, EC P-384, EC P-521, RSA, Ed25519";

/** An AlgorithmIdentifier: its OID and the DER of its parameters, if any. */
interface AlgorithmIdentifier {
  readonly oid: string;
  readonly params: Uint8Array | undefined;
}

type KeyAlgorithm =
  | { readonly name: "ECDSA"; readonly namedCurve: "P-256" | "P-384" | "P-521" }
  | { readonly name: "RSASSA-PKCS1-v1_5"; readonly hash: "SHA-256" }
  | { readonly name: "Ed25519" };

/** The JWK members that carry the public key, per algorithm: equal in both halves of a pair. */
const PUBLIC_FIELDS: Readonly<Record<KeyAlgorithm["name"], readonly ("x" | "y" | "n" | "e")[]>> = {
  ECDSA: ["x", "y"],
  "RSASSA-PKCS1-v1_5": ["n", "e"],
  Ed25519: ["x"],
};

/**
 * Decodes a PKCS#8 private key (PEM `PRIVATE KEY` block or DER) into a DER copy. Only the
 * framing is checked here; {@link checkKeyMatchesLeaf} reads the structure.
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
  if (readPrivateKeyAlgorithm(der) === undefined) {
    throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", "the private key is not a single DER-encoded PKCS#8 PrivateKeyInfo");
  }
  return der;
}

/**
 * Checks that the PKCS#8 key `der` is an EC P-256/P-384/P-521, RSA or Ed25519 key whose
 * public half is the leaf certificate's public key (the private key's Web Crypto JWK export against
 * the leaf key the certificate reader decoded).
 *
 * @throws {X509SvidError} `ERR_X509_SVID_PRIVATE_KEY`, `ERR_X509_SVID_UNSUPPORTED_KEY`,
 *   `ERR_X509_SVID_KEY_MISMATCH`.
 */
export async function checkKeyMatchesLeaf(der: Uint8Array<ArrayBuffer>, leaf: CertificateInfo): Promise<void> {
  const keyInfo = readPrivateKeyAlgorithm(der);
  if (keyInfo === undefined) throw new X509SvidError("ERR_X509_SVID_PRIVATE_KEY", "the private key is not a PKCS#8 PrivateKeyInfo");
  const keyAlg = algorithmOf(keyInfo, "the private key");
  const leafAlg = algorithmOf(leaf.spkiAlgorithm, "the leaf certificate's public key");
  if (describe(keyAlg) !== describe(leafAlg)) {
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
  const publicJwk = publicJwkOf(leaf.publicKey);
  const same = publicJwk !== undefined && PUBLIC_FIELDS[keyAlg.name].every((f) => typeof privateJwk[f] === "string" && privateJwk[f] === publicJwk[f]);
  if (!same) throw new X509SvidError("ERR_X509_SVID_KEY_MISMATCH", "the private key does not belong to the leaf certificate");
}

/**
 * The public members of the JWK (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2) of a key the strict
 * certificate reader already decoded (and the key policy admitted): EC coordinates of the
 * curve's size, RSA modulus and exponent without leading zeros, the Ed25519 point. Building
 * them from the decoded bytes costs no Web Crypto import and export of the leaf's key.
 */
function publicJwkOf(key: PublicKey): Partial<Record<"x" | "y" | "n" | "e", string>> | undefined {
  switch (key.kind) {
    case "ec":
      return { x: encodeBase64Url(key.x), y: encodeBase64Url(key.y) };
    case "rsa":
      return { n: encodeBase64Url(key.modulus), e: encodeBase64Url(key.exponent) };
    case "okp":
      return { x: encodeBase64Url(key.x) };
    default:
      return undefined;
  }
}

/**
 * The privateKeyAlgorithm of a PKCS#8 PrivateKeyInfo (RFC 5208; version 0, or 1 for the
 * OneAsymmetricKey form of RFC 5958), or undefined when `der` is not exactly one.
 */
function readPrivateKeyAlgorithm(der: Uint8Array<ArrayBuffer>): AlgorithmIdentifier | undefined {
  try {
    const outer = new DerReader(der);
    const info = inside(outer.read(0x30));
    outer.end();
    const version = decodeSmallInteger(info.read(0x02).value);
    if (version !== 0 && version !== 1) return undefined;
    const alg = inside(info.read(0x30));
    const oid = alg.readOid();
    const params = alg.done ? undefined : alg.read().tlv;
    alg.end();
    info.read(0x04); // privateKey: its contents are Web Crypto's to judge
    info.readOptional(0xa0); // attributes
    if (version === 1) info.readOptional(0x81); // publicKey
    info.end();
    return { oid, params };
  } catch {
    return undefined;
  }
}

/** The Web Crypto import parameters for a key's AlgorithmIdentifier (of the private or the public key). */
function algorithmOf(alg: AlgorithmIdentifier, what: string): KeyAlgorithm {
  switch (alg.oid) {
    case OID_RSA_ENCRYPTION:
      // RFC 8017 A.1: parameters NULL (some encoders omit them).
      if (alg.params !== undefined && !(alg.params.length === 2 && alg.params[0] === 0x05 && alg.params[1] === 0x00)) {
        throw new X509SvidError("ERR_X509_SVID_UNSUPPORTED_KEY", `${what} is RSA with unexpected algorithm parameters`);
      }
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    case OID_EC_PUBLIC_KEY: {
      const oid = namedCurveOf(alg.params);
      const curve = oid === undefined ? undefined : CURVES[oid];
      if (curve) return { name: "ECDSA", namedCurve: curve };
      throw new X509SvidError(
        "ERR_X509_SVID_UNSUPPORTED_KEY",
        `${what} uses an unsupported elliptic curve (${oid ?? "not a named curve"}); supported: P-256, P-384, P-521`,
      );
    }
    case OID_ED25519:
      // RFC 8410 §3: the parameters MUST be absent.
      if (alg.params !== undefined) throw new X509SvidError("ERR_X509_SVID_UNSUPPORTED_KEY", `${what} is Ed25519 with algorithm parameters (RFC 8410: must be absent)`);
      return { name: "Ed25519" };
    default:
      throw new X509SvidError("ERR_X509_SVID_UNSUPPORTED_KEY", `${what} has unsupported algorithm ${alg.oid}; supported: ${SUPPORTED}`);
  }
}

/** The OID of ECParameters when it is a namedCurve (RFC 5480 §2.1.1), else undefined. */
function namedCurveOf(params: Uint8Array | undefined): string | undefined {
  if (params === undefined) return undefined;
  try {
    const r = new DerReader(copyBytes(params));
    const oid = r.readOid();
    r.end();
    return oid;
  } catch {
    return undefined;
  }
}

function describe(alg: KeyAlgorithm): string {
  switch (alg.name) {
    case "ECDSA":
      return `EC ${alg.namedCurve}`;
    case "RSASSA-PKCS1-v1_5":
      return "RSA";
    case "Ed25519":
      return "Ed25519";
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "error";
}
