// Key pairs for hand-built certificates (Web Crypto), deterministic ones from a seed, and
// SubjectPublicKeyInfo encoders for keys a verifier must refuse (they are only ever
// subject keys: nothing is signed with them).
import { fromBase64Url, toBase64Url, toBigInt, toBytes } from "./bigint.ts";
import { bitString, concat, type Der, integer, nullValue, octetString, oid, seq, unsignedInteger } from "./der.ts";
import { ALG } from "./oids.ts";
import { P256, p256PublicPoint } from "./p256.ts";
import type { RsaPrivateParts } from "./rsa-raw.ts";

/** Key types that can sign. */
export type KeyType = "P-256" | "P-384" | "P-521" | "RSA-1024" | "RSA-2048" | "RSA-3072" | "Ed25519";

/** A key pair: its SubjectPublicKeyInfo and what signs with it. */
export interface KeyPair {
  readonly type: KeyType;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Der;
  /** Web Crypto private key (ECDSA or Ed25519). */
  readonly privateKey?: CryptoKey;
  /** RSA private parts (RSA keys sign through rsa-raw.ts). */
  readonly rsa?: RsaPrivateParts;
}

const CURVE_OF = { "P-256": "P-256", "P-384": "P-384", "P-521": "P-521" } as const;

/** A fresh key pair of `type`. */
export async function generateKeyPair(type: KeyType): Promise<KeyPair> {
  if (type === "Ed25519") {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    return { type, spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)), privateKey: pair.privateKey };
  }
  if (type.startsWith("RSA-")) {
    const bits = Number(type.slice(4));
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const b = (s: string | undefined): bigint => toBigInt(fromBase64Url(s!));
    return {
      type,
      spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)),
      rsa: { n: b(jwk.n), e: b(jwk.e), p: b(jwk.p), q: b(jwk.q), dp: b(jwk.dp), dq: b(jwk.dq), qi: b(jwk.qi) },
    };
  }
  const curve = CURVE_OF[type as keyof typeof CURVE_OF];
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
  return { type, spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)), privateKey: pair.privateKey };
}

const cache = new Map<string, Promise<KeyPair>>();

/** One key per `type` and `label` for the whole run (key generation is the slow part of building cases). */
export function key(type: KeyType, label = "default"): Promise<KeyPair> {
  const id = `${type}/${label}`;
  let k = cache.get(id);
  if (!k) cache.set(id, (k = generateKeyPair(type)));
  return k;
}

/** A P-256 or Ed25519 key pair derived from 32 seed bytes: same seed, same key (for reproducible fuzzing). */
export async function seededKeyPair(type: "P-256" | "Ed25519", seed: Uint8Array): Promise<KeyPair> {
  if (type === "Ed25519") {
    const pkcs8 = concat(new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]), seed.subarray(0, 32));
    const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", privateKey);
    return { type, spki: seq(seq(oid(ALG.ed25519)), bitString(fromBase64Url(jwk.x!))), privateKey };
  }
  const d = (toBigInt(seed.subarray(0, 32)) % (P256.n - 1n)) + 1n;
  const { x, y } = p256PublicPoint(d);
  const jwk = { kty: "EC", crv: "P-256", d: toBase64Url(toBytes(d, 32)), x: toBase64Url(toBytes(x, 32)), y: toBase64Url(toBytes(y, 32)) };
  const privateKey = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  return { type, spki: ecSpki(ALG.p256, uncompressedPoint(x, y, 32)), privateKey };
}

/** RSA SubjectPublicKeyInfo of modulus `n` and exponent `e`; `params` "null" (required by RFC 3279), "absent" or raw. */
export function rsaSpki(n: bigint, e: bigint, params: "null" | "absent" | Der = "null"): Der {
  const p = params === "null" ? nullValue() : params === "absent" ? new Uint8Array(0) : params;
  return seq(seq(oid(ALG.rsaEncryption), p), bitString(seq(unsignedInteger(toBytes(n)), unsignedInteger(toBytes(e)))));
}

/** An odd number of exactly `bits` bits (a stand-in modulus for a subject key that never signs). */
export function fakeRsaModulus(bits: number): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
  let v = toBigInt(bytes) | 1n;
  v &= (1n << BigInt(bits)) - 1n;
  return v | (1n << BigInt(bits - 1));
}

/** 0x04 ‖ X ‖ Y. */
export function uncompressedPoint(x: bigint, y: bigint, size: number): Der {
  return concat(new Uint8Array([4]), toBytes(x, size), toBytes(y, size));
}

/** An EC SubjectPublicKeyInfo: named curve OID (or raw parameters) and point octets. */
export function ecSpki(curve: string | Der, point: Der): Der {
  return seq(seq(oid(ALG.ecPublicKey), typeof curve === "string" ? oid(curve) : curve), bitString(point));
}

/** The P-256 point of an EC SubjectPublicKeyInfo made by Web Crypto (the last 65 octets). */
export function p256PointOf(spki: Der): { x: bigint; y: bigint } {
  const pt = spki.subarray(spki.length - 65);
  return { x: toBigInt(pt.subarray(1, 33)), y: toBigInt(pt.subarray(33)) };
}

/** The generator of secp256k1 (SEC 2 §2.4.1): a valid point on a curve verifiers must refuse. */
export const SECP256K1_G = {
  x: 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  y: 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
};

/** ECParameters (RFC 3279 §2.3.5) spelling out P-256 explicitly instead of naming it (RFC 5480 forbids this). */
export function explicitP256Parameters(): Der {
  return seq(
    integer(1),
    seq(oid(ALG.primeField), unsignedInteger(toBytes(P256.p))),
    seq(octetString(toBytes(P256.a, 32)), octetString(toBytes(P256.b, 32))),
    octetString(uncompressedPoint(P256.gx, P256.gy, 32)),
    unsignedInteger(toBytes(P256.n)),
    integer(1),
  );
}

/** A DSA SubjectPublicKeyInfo (RFC 3279 §2.3.2) with made-up, well-formed numbers. */
export function dsaSpki(): Der {
  const p = fakeRsaModulus(2048);
  const q = fakeRsaModulus(256);
  return seq(seq(oid(ALG.dsa), seq(unsignedInteger(toBytes(p)), unsignedInteger(toBytes(q)), integer(2))), bitString(unsignedInteger(toBytes(fakeRsaModulus(2040)))));
}

/** A fresh X25519 SubjectPublicKeyInfo (a key-agreement key, not a signature key). */
export async function x25519Spki(): Promise<Der> {
  const pair = (await crypto.subtle.generateKey({ name: "X25519" }, true, ["deriveBits"])) as CryptoKeyPair;
  return new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
}

/** `spki` with its AlgorithmIdentifier's parameters replaced by `params` (e.g. NULL for Ed25519). */
export function withKeyParameters(algorithmOid: string, params: Der, publicKeyBits: Der): Der {
  return seq(seq(oid(algorithmOid), params), bitString(publicKeyBits));
}

