// RSA signatures computed in BigInt from an exported private key, so tests can make valid
// signatures that Web Crypto refuses to make: MD5, RSA-PSS with an MGF1 hash other than the
// message hash, any salt length. Tests only.
import { bitLength, modPow, toBigInt, toBytes } from "./bigint.ts";
import { concat, type Der } from "./der.ts";
import { md5 } from "./md5.ts";

/** Hash functions the raw signer knows. */
export type HashName = "MD5" | "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

/** Output length in octets of each hash. */
export const HASH_LENGTH: Record<HashName, number> = { MD5: 16, "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/** The digest of `data` (MD5 here, the others through Web Crypto). */
export async function digest(hash: HashName, data: Uint8Array): Promise<Der> {
  if (hash === "MD5") return md5(data);
  return new Uint8Array(await crypto.subtle.digest(hash, data as Uint8Array<ArrayBuffer>));
}

/** The CRT parts of an RSA private key. */
export interface RsaPrivateParts {
  readonly n: bigint;
  readonly e: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

/** RSASP1 (RFC 8017 §5.2.1) with the CRT. */
export function rsaPrivate(key: RsaPrivateParts, em: Uint8Array): Der {
  const m = toBigInt(em);
  const m1 = modPow(m, key.dp, key.p);
  const m2 = modPow(m, key.dq, key.q);
  const h = (((m1 - m2) % key.p) + key.p) % key.p;
  const s = m2 + ((key.qi * h) % key.p) * key.q;
  return toBytes(s, Math.ceil(bitLength(key.n) / 8));
}

const DIGEST_INFO_PREFIX: Record<HashName, string> = {
  MD5: "3020300c06082a864886f70d020505000410",
  "SHA-1": "3021300906052b0e03021a05000414",
  "SHA-256": "3031300d060960864801650304020105000420",
  "SHA-384": "3041300d060960864801650304020205000430",
  "SHA-512": "3051300d060960864801650304020305000440",
};

const fromHex = (h: string): Der => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));

/** RSASSA-PKCS1-v1_5 signature (RFC 8017 §8.2) of `message` with any of the hashes. */
export async function signPkcs1(key: RsaPrivateParts, hash: HashName, message: Uint8Array): Promise<Der> {
  const t = concat(fromHex(DIGEST_INFO_PREFIX[hash]), await digest(hash, message));
  const k = Math.ceil(bitLength(key.n) / 8);
  const ps = new Uint8Array(k - t.length - 3).fill(0xff);
  return rsaPrivate(key, concat(new Uint8Array([0, 1]), ps, new Uint8Array([0]), t));
}

async function mgf1(hash: HashName, seed: Uint8Array, length: number): Promise<Der> {
  const parts: Uint8Array[] = [];
  for (let counter = 0, have = 0; have < length; counter++) {
    const c = new Uint8Array([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff]);
    const block = await digest(hash, concat(seed, c));
    parts.push(block);
    have += block.length;
  }
  return concat(...parts).slice(0, length);
}

/** Parameters of {@link signPss}. */
export interface PssOptions {
  readonly hash: HashName;
  readonly mgfHash: HashName;
  readonly saltLength: number;
}

/** RSASSA-PSS signature (RFC 8017 §8.1, EMSA-PSS §9.1.1) with any hash, MGF1 hash and salt length. */
export async function signPss(key: RsaPrivateParts, o: PssOptions, message: Uint8Array): Promise<Der> {
  const modBits = bitLength(key.n);
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const mHash = await digest(o.hash, message);
  const salt = crypto.getRandomValues(new Uint8Array(o.saltLength));
  const h = await digest(o.hash, concat(new Uint8Array(8), mHash, salt));
  const db = concat(new Uint8Array(emLen - o.saltLength - h.length - 2), new Uint8Array([1]), salt);
  const mask = await mgf1(o.mgfHash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return rsaPrivate(key, concat(db, h, new Uint8Array([0xbc])));
}
