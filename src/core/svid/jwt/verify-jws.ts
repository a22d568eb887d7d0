// Which bundle key may verify a JWT-SVID, and the signature check itself. The SPIFFE rules
// (algorithm allow-list, algorithm ↔ key type and curve, the key's own "alg") are ours;
// `jose` imports the JWK as a CryptoKey for the one algorithm we allow for this key, and Web
// Crypto verifies the JWS signature (RFC 7515 §5.2) over the header and payload that
// decodeJwtSvid already decoded and checked, so nothing is decoded twice. Internal to the jwt module.
import { importJWK } from "jose";
import type { PublicJwk } from "../../bundle/public-jwk.ts";
import { JwtSvidError } from "../../errors/jwt-svid-error.ts";
import { show } from "./decode-jwt-svid.ts";

/**
 * The Web Crypto verification of each JWT-SVID algorithm (RFC 7518 §3.3-3.5), and for ECDSA
 * the size of the JWS signature (R and S as fixed-size big-endian integers, §3.4).
 */
const VERIFY_OF_ALG: ReadonlyMap<string, { readonly params: AlgorithmIdentifier | EcdsaParams | RsaPssParams; readonly signatureBytes?: number }> = new Map([
  ["ES256", { params: { name: "ECDSA", hash: "SHA-256" }, signatureBytes: 64 }],
  ["ES384", { params: { name: "ECDSA", hash: "SHA-384" }, signatureBytes: 96 }],
  ["ES512", { params: { name: "ECDSA", hash: "SHA-512" }, signatureBytes: 132 }],
  ["RS256", { params: { name: "RSASSA-PKCS1-v1_5" } }],
  ["RS384", { params: { name: "RSASSA-PKCS1-v1_5" } }],
  ["RS512", { params: { name: "RSASSA-PKCS1-v1_5" } }],
  ["PS256", { params: { name: "RSA-PSS", saltLength: 32 } }],
  ["PS384", { params: { name: "RSA-PSS", saltLength: 48 } }],
  ["PS512", { params: { name: "RSA-PSS", saltLength: 64 } }],
]);

/** The key each JWT-SVID algorithm needs (RFC 7518 §3.3-3.5). */
const KEY_OF_ALG: ReadonlyMap<string, { readonly kty: "EC" | "RSA"; readonly crv?: string }> = new Map([
  ["ES256", { kty: "EC", crv: "P-256" }],
  ["ES384", { kty: "EC", crv: "P-384" }],
  ["ES512", { kty: "EC", crv: "P-521" }],
  ["RS256", { kty: "RSA" }],
  ["RS384", { kty: "RSA" }],
  ["RS512", { kty: "RSA" }],
  ["PS256", { kty: "RSA" }],
  ["PS384", { kty: "RSA" }],
  ["PS512", { kty: "RSA" }],
]);

/**
 * Why `jwk` cannot verify a token signed with `alg` (key type, curve, or the key's own
 * `alg`), or `undefined` when it can.
 */
export function keyMismatch(jwk: PublicJwk, alg: string): string | undefined {
  const need = KEY_OF_ALG.get(alg);
  if (!need) return `${show(alg)} is not a JWT-SVID algorithm`;
  if (jwk.kty !== need.kty) return `${alg} needs an ${need.kty} key, but key ${show(jwk.kid)} is ${show(jwk.kty)}`;
  if (need.crv !== undefined && jwk.crv !== need.crv) return `${alg} needs a ${need.crv} key, but key ${show(jwk.kid)} is on ${show(jwk.crv)}`;
  if (jwk.alg !== undefined && jwk.alg !== alg) return `key ${show(jwk.kid)} is restricted to ${show(jwk.alg)}, not ${alg}`;
  return undefined;
}

// Imported keys, per bundle key object and algorithm. A bundle's keys are frozen objects
// that live as long as the bundle, so an updated bundle brings new objects and a removed key
// is never found again; the WeakMap lets the old CryptoKeys go with the old bundle. A settled
// import is kept as the CryptoKey itself, so the common path does not wait on a promise.
const imported = new WeakMap<PublicJwk, Map<string, CryptoKey | Promise<CryptoKey>>>();

function cryptoKeyFor(jwk: PublicJwk, alg: string): CryptoKey | Promise<CryptoKey> {
  let byAlg = imported.get(jwk);
  if (!byAlg) imported.set(jwk, (byAlg = new Map()));
  const known = byAlg.get(alg);
  if (known) return known;
  const material: Record<string, string> = { kty: jwk.kty };
  for (const m of ["crv", "x", "y", "n", "e"] as const) if (jwk[m] !== undefined) material[m] = jwk[m];
  const pending = importJWK(material, alg).then(
    (k) => {
      if (k instanceof Uint8Array) throw new TypeError("not an asymmetric key");
      byAlg.set(alg, k);
      return k;
    },
    (err: unknown) => {
      byAlg.delete(alg);
      throw err;
    },
  );
  byAlg.set(alg, pending);
  return pending;
}

/**
 * Verifies the JWS `signature` of `token` (already decoded and checked: see decodeJwtSvid)
 * with `jwk` and `alg`, which must fit (see {@link keyMismatch}). Resolves `false` for a
 * signature that does not verify.
 *
 * @throws {JwtSvidError} `ERR_JWT_SVID_SIGNATURE` when the key cannot be imported or Web
 *   Crypto cannot run the check.
 */
export function verifyJws(token: string, signature: Uint8Array<ArrayBuffer>, alg: string, jwk: PublicJwk): Promise<boolean> {
  let key: CryptoKey | Promise<CryptoKey>;
  try {
    key = cryptoKeyFor(jwk, alg);
  } catch (err) {
    return Promise.reject(importError(jwk, alg, err));
  }
  // A cached key (the common case) goes straight to Web Crypto, without waiting on a promise.
  if (key instanceof Promise) return key.then((k) => verifyWith(token, signature, alg, k), (err: unknown) => Promise.reject(importError(jwk, alg, err)));
  return verifyWith(token, signature, alg, key);
}

const UTF8_ENCODER = new TextEncoder();

function verifyWith(token: string, signature: Uint8Array<ArrayBuffer>, alg: string, key: CryptoKey): Promise<boolean> {
  const verify = VERIFY_OF_ALG.get(alg)!; // keyMismatch admitted only these algorithms
  // An ECDSA signature of the wrong size never verifies (some runtimes throw on it instead).
  if (verify.signatureBytes !== undefined && signature.byteLength !== verify.signatureBytes) return Promise.resolve(false);
  const signingInput = UTF8_ENCODER.encode(token.slice(0, token.lastIndexOf(".")));
  return crypto.subtle.verify(verify.params, key, signature, signingInput).then(
    (valid) => valid,
    (err: unknown) => {
      throw new JwtSvidError("ERR_JWT_SVID_SIGNATURE", `the signature could not be checked (${err instanceof Error ? err.name : typeof err})`, { cause: err });
    },
  );
}

function importError(jwk: PublicJwk, alg: string, err: unknown): JwtSvidError {
  return new JwtSvidError("ERR_JWT_SVID_SIGNATURE", `the bundle key ${show(jwk.kid)} could not be imported for ${alg}`, { cause: err });
}
