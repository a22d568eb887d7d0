// Signature algorithms for hand-built certificates: the AlgorithmIdentifier a certificate
// declares, and a function that signs the TBSCertificate. Every parameter can be chosen,
// including ones a verifier must refuse; "garbage" signs nothing.
import { type Der, explicit, integer, nullValue, oid, seq, unsignedInteger } from "./der.ts";
import type { KeyPair } from "./keys.ts";
import { ALG } from "./oids.ts";
import { HASH_LENGTH, type HashName, signPkcs1, signPss } from "./rsa-raw.ts";

/** Declares a signature algorithm and signs with it. */
export interface Signer {
  /** The AlgorithmIdentifier DER (used for both TBSCertificate.signature and signatureAlgorithm by default). */
  readonly algorithm: Der;
  /** Signature octets (the BIT STRING content) over `data`. */
  sign(data: Der): Promise<Der>;
}

/** An AlgorithmIdentifier: `params` "absent" (default), "null", or raw encoded parameters. */
export function algorithmId(algorithmOid: string, params: "absent" | "null" | Der = "absent"): Der {
  return seq(oid(algorithmOid), params === "absent" ? new Uint8Array(0) : params === "null" ? nullValue() : params);
}

const ECDSA_OID: Record<"SHA-1" | "SHA-256" | "SHA-384" | "SHA-512", string> = {
  "SHA-1": ALG.ecdsaWithSha1,
  "SHA-256": ALG.ecdsaWithSha256,
  "SHA-384": ALG.ecdsaWithSha384,
  "SHA-512": ALG.ecdsaWithSha512,
};

/** IEEE P1363 r‖s (Web Crypto) → DER Ecdsa-Sig-Value. */
function ecdsaDer(raw: Uint8Array): Der {
  const half = raw.length / 2;
  return seq(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

/** ECDSA with `hash` (RFC 5758 §3.2: parameters absent unless `params` says otherwise). */
export function ecdsaSigner(key: KeyPair, hash: keyof typeof ECDSA_OID, o: { params?: "absent" | "null" | Der } = {}): Signer {
  return {
    algorithm: algorithmId(ECDSA_OID[hash], o.params ?? "absent"),
    sign: async (data) => ecdsaDer(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash }, key.privateKey!, data))),
  };
}

const PKCS1_OID: Record<HashName, string> = {
  MD5: ALG.md5WithRSA,
  "SHA-1": ALG.sha1WithRSA,
  "SHA-256": ALG.sha256WithRSA,
  "SHA-384": ALG.sha384WithRSA,
  "SHA-512": ALG.sha512WithRSA,
};

/** RSASSA-PKCS1-v1_5 with `hash` (RFC 4055 §5: parameters NULL unless `params` says otherwise). */
export function rsaPkcs1Signer(key: KeyPair, hash: HashName, o: { params?: "absent" | "null" | Der } = {}): Signer {
  return { algorithm: algorithmId(PKCS1_OID[hash], o.params ?? "null"), sign: (data) => signPkcs1(key.rsa!, hash, data) };
}

const HASH_OID: Record<HashName, string> = { MD5: ALG.md5, "SHA-1": ALG.sha1, "SHA-256": ALG.sha256, "SHA-384": ALG.sha384, "SHA-512": ALG.sha512 };

/** Options of {@link rsaPssSigner}; defaults are RFC 4055's (SHA-1, MGF1-SHA-1, salt 20, trailer 1). */
export interface PssSignerOptions {
  hash?: HashName;
  /** MGF1 hash; default: `hash`. */
  mgfHash?: HashName;
  /** Salt length used AND declared; default: the hash length. */
  saltLength?: number;
  /** Salt length declared when it differs from the one used. */
  declaredSaltLength?: number;
  /** trailerField declared (the signature always uses 0xBC, trailer 1). */
  trailerField?: number;
  /** "der": fields equal to RFC 4055 defaults are omitted (DER); "explicit": every field written; or raw parameters. */
  encoding?: "der" | "explicit" | Der;
}

/** The RSASSA-PSS-params (RFC 4055 §3.1) of `o`. */
export function pssParameters(o: PssSignerOptions): Der {
  if (o.encoding instanceof Uint8Array) return o.encoding;
  const hash = o.hash ?? "SHA-1";
  const mgfHash = o.mgfHash ?? hash;
  const salt = o.declaredSaltLength ?? o.saltLength ?? HASH_LENGTH[hash];
  const trailer = o.trailerField ?? 1;
  const all = o.encoding === "explicit";
  return seq(
    all || hash !== "SHA-1" ? explicit(0, algorithmId(HASH_OID[hash], "null")) : new Uint8Array(0),
    all || mgfHash !== "SHA-1" ? explicit(1, seq(oid(ALG.mgf1), algorithmId(HASH_OID[mgfHash], "null"))) : new Uint8Array(0),
    all || salt !== 20 ? explicit(2, integer(salt)) : new Uint8Array(0),
    all || trailer !== 1 ? explicit(3, integer(trailer)) : new Uint8Array(0),
  );
}

/** RSASSA-PSS (RFC 4055) with any hash, MGF1 hash, salt length and declared parameters. */
export function rsaPssSigner(key: KeyPair, o: PssSignerOptions = {}): Signer {
  const hash = o.hash ?? "SHA-1";
  const pss = { hash, mgfHash: o.mgfHash ?? hash, saltLength: o.saltLength ?? HASH_LENGTH[hash] };
  return { algorithm: algorithmId(ALG.rsassaPss, pssParameters(o)), sign: (data) => signPss(key.rsa!, pss, data) };
}

/** Ed25519 (RFC 8410: parameters absent unless `params` says otherwise). */
export function ed25519Signer(key: KeyPair, o: { params?: "absent" | "null" | Der } = {}): Signer {
  return {
    algorithm: algorithmId(ALG.ed25519, o.params ?? "absent"),
    sign: async (data) => new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey!, data)),
  };
}

/** Declares `algorithm` and "signs" with `length` random octets. */
export function garbageSigner(algorithm: Der, length = 64): Signer {
  return { algorithm, sign: async () => crypto.getRandomValues(new Uint8Array(length)) };
}

/** `signer`'s signature under another declared algorithm. */
export function declaring(signer: Signer, algorithm: Der): Signer {
  return { algorithm, sign: (data) => signer.sign(data) };
}

/** The usual signer of a key: ECDSA with the curve's hash, RSA PKCS#1 v1.5 SHA-256, Ed25519. */
export function defaultSigner(key: KeyPair): Signer {
  switch (key.type) {
    case "P-256":
      return ecdsaSigner(key, "SHA-256");
    case "P-384":
      return ecdsaSigner(key, "SHA-384");
    case "P-521":
      return ecdsaSigner(key, "SHA-512");
    case "Ed25519":
      return ed25519Signer(key);
    default:
      return rsaPkcs1Signer(key, "SHA-256");
  }
}

