// Signature AlgorithmIdentifiers (RFC 5280 §4.1.1.2) and the SDK's algorithm policy: the
// algorithm is judged by the hash it actually uses (an RSA-PSS identifier with SHA-1 in its
// parameters is SHA-1), and every parameter must be the one its RFC prescribes.
// Not exported from the package.
import { DerError, DerReader, type DerElement, decodeSmallInteger, inside } from "../der-reader.ts";

/** How to check a signature with Web Crypto, or why the algorithm is refused. */
export type SignatureScheme =
  | { readonly kind: "ecdsa"; readonly hash: Hash }
  | { readonly kind: "rsa-pkcs1"; readonly hash: Hash }
  | { readonly kind: "rsa-pss"; readonly hash: Hash; readonly saltLength: number }
  | { readonly kind: "ed25519" }
  | { readonly kind: "refused"; readonly problem: string };

export type Hash = "SHA-256" | "SHA-384" | "SHA-512";

/** An AlgorithmIdentifier: its OID and the DER of its parameters, if any. */
export interface AlgorithmInfo {
  readonly oid: string;
  readonly params: Uint8Array<ArrayBuffer> | undefined;
}

const ECDSA: Readonly<Record<string, Hash>> = {
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};
const RSA_PKCS1: Readonly<Record<string, Hash>> = {
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};
const HASHES: Readonly<Record<string, Hash>> = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};
const HASH_LENGTH: Readonly<Record<Hash, number>> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };
/** Weak or obsolete algorithms, named so that the refusal says what it is. */
const WEAK: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption (MD5)",
  "1.2.840.113549.1.1.2": "md2WithRSAEncryption (MD2)",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption (SHA-1)",
  "1.3.14.3.2.29": "sha1WithRSASignature (SHA-1)",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1 (SHA-1)",
  "1.2.840.10040.4.3": "dsa-with-sha1 (SHA-1)",
  "1.3.14.3.2.26": "SHA-1",
  "1.2.840.113549.2.5": "MD5",
};
const OID_RSASSA_PSS = "1.2.840.113549.1.1.10";
const OID_MGF1 = "1.2.840.113549.1.1.8";
const OID_ED25519 = "1.3.101.112";

/** The scheme of a signature AlgorithmIdentifier under the SDK's policy. */
export function signatureSchemeOf(alg: AlgorithmInfo): SignatureScheme {
  const refused = (problem: string): SignatureScheme => ({ kind: "refused", problem });
  const weak = WEAK[alg.oid];
  if (weak) return refused(`${weak} signatures are refused (collisions are practical)`);
  const ecdsa = ECDSA[alg.oid];
  if (ecdsa) {
    // RFC 5758 §3.2: the parameters field MUST be absent.
    return alg.params === undefined ? { kind: "ecdsa", hash: ecdsa } : refused(`ECDSA signature algorithm ${alg.oid} must have no parameters`);
  }
  const pkcs1 = RSA_PKCS1[alg.oid];
  if (pkcs1) {
    // RFC 4055 §5: the parameters MUST be NULL; implementations MUST accept them absent too.
    return alg.params === undefined || isNull(alg.params) ? { kind: "rsa-pkcs1", hash: pkcs1 } : refused(`RSA signature algorithm ${alg.oid} must have NULL parameters`);
  }
  if (alg.oid === OID_ED25519) {
    // RFC 8410 §3: the parameters MUST be absent.
    return alg.params === undefined ? { kind: "ed25519" } : refused("Ed25519 signature algorithm must have no parameters");
  }
  if (alg.oid === OID_RSASSA_PSS) return pssScheme(alg.params);
  return refused(`signature algorithm ${alg.oid} is not supported (ECDSA, RSA PKCS #1 v1.5 and RSA-PSS with SHA-256/384/512, and Ed25519 are)`);
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2],
 * trailerField [3]. The defaults are SHA-1, MGF1 with SHA-1 and a 20-byte salt, so absent
 * parameters mean SHA-1 and are refused. Accepted: SHA-256/384/512, MGF1 with the same hash,
 * a salt as long as the hash (RFC 8446 §4.2.3 and Go require the same), trailer 1.
 */
function pssScheme(params: Uint8Array<ArrayBuffer> | undefined): SignatureScheme {
  const refused = (problem: string): SignatureScheme => ({ kind: "refused", problem: `RSA-PSS ${problem}` });
  if (!params) return refused("without parameters means SHA-1, which is refused");
  try {
    const outer = new DerReader(params);
    const seq = inside(outer.read(0x30));
    outer.end();
    const hashElement = seq.readOptional(0xa0);
    const mgfElement = seq.readOptional(0xa1);
    const saltElement = seq.readOptional(0xa2);
    const trailerElement = seq.readOptional(0xa3);
    seq.end();
    if (!hashElement) return refused("with the default hash (SHA-1) is refused");
    const hash = hashOf(explicit(hashElement));
    if (typeof hash !== "string") return refused(`hash ${hash.oid} is refused (SHA-256/384/512 are accepted)`);
    if (!mgfElement) return refused("with the default mask generation (MGF1 with SHA-1) is refused");
    const mgf = explicit(mgfElement);
    const m = inside(mgf);
    const mgfOid = m.readOid();
    if (mgfOid !== OID_MGF1) return refused(`mask generation function ${mgfOid} is not MGF1`);
    const mgfHash = hashOf(m.read(0x30));
    m.end();
    if (mgfHash !== hash) return refused(`MGF1 hash ${typeof mgfHash === "string" ? mgfHash : mgfHash.oid} differs from the signature hash ${hash}`);
    const saltLength = saltElement ? decodeSmallInteger(single(explicit(saltElement), 0x02).value) : 20;
    if (saltLength !== HASH_LENGTH[hash]) return refused(`salt length ${saltLength} is not the ${hash} length ${HASH_LENGTH[hash]}`);
    if (trailerElement && decodeSmallInteger(single(explicit(trailerElement), 0x02).value) !== 1) return refused("trailer field must be 1");
    return { kind: "rsa-pss", hash, saltLength };
  } catch (err) {
    if (err instanceof DerError) return refused(`parameters cannot be decoded (${err.message})`);
    throw err;
  }
}

/** The content of an EXPLICIT [n] tag: exactly one element. */
function explicit(element: DerElement): DerElement {
  const r = inside(element);
  const inner = r.read();
  r.end();
  return inner;
}

function single(element: DerElement, tag: number): DerElement {
  if (element.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`);
  return element;
}

/** A hash AlgorithmIdentifier (parameters absent or NULL) → its Web Crypto name, or its OID when unknown. */
function hashOf(element: DerElement): Hash | { oid: string } {
  if (element.tag !== 0x30) throw new DerError("expected a hash AlgorithmIdentifier");
  const r = inside(element);
  const oid = r.readOid();
  if (!r.done) {
    const p = r.read();
    if (p.tag !== 0x05 || p.value.length !== 0) throw new DerError("hash parameters must be NULL or absent");
  }
  r.end();
  return HASHES[oid] ?? { oid: WEAK[oid] ?? oid };
}

function isNull(params: Uint8Array): boolean {
  return params.length === 2 && params[0] === 0x05 && params[1] === 0x00;
}
