// The rules a JWK must pass to be trusted for JWT-SVID verification (JWT-SVID spec §2.1,
// §6; SPIFFE bundle spec §4.2). Internal to the bundle module.
import { BundleError } from "../errors/bundle-error.ts";
import { decodeBase64Url } from "../lib/base64url.ts";
import { type JsonObject, own, show } from "./jwk-set.ts";
import type { PublicJwk } from "./public-jwk.ts";

/** JWT-SVID `alg` values (JWT-SVID spec §2.1: RFC 7518 §3.3, §3.4, §3.5) per key type. */
const RSA_ALGS: ReadonlySet<string> = new Set(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]);
/** Supported EC curves, their coordinate size in bytes and the one `alg` that uses each. */
const EC_CURVES: ReadonlyMap<string, { size: number; alg: string }> = new Map([
  ["P-256", { size: 32, alg: "ES256" }],
  ["P-384", { size: 48, alg: "ES384" }],
  ["P-521", { size: 66, alg: "ES512" }],
]);
/** Smallest accepted RSA modulus (bits); smaller keys are not trusted. */
export const MIN_RSA_BITS = 2048;
/** Largest accepted RSA modulus (bits); Web Crypto implementations stop around here. */
export const MAX_RSA_BITS = 16384;

/** A usable key: its `kid` and the normalized public JWK (frozen). */
export interface CheckedJwtKey {
  readonly kid: string;
  readonly jwk: PublicJwk;
}

/**
 * Checks one JWK whose `use` is `jwt-svid` (or absent, in a plain JWT bundle). Returns the
 * normalized public JWK (only `kty`, `kid`, `alg` when present, and the key's public
 * members; no `use`, so it goes straight into `crypto.subtle.importKey("jwk", ...)`), or
 * the reason the key is ignored.
 *
 * Ignored (string result): `kty` other than `EC`/`RSA` (OKP/EdDSA and `oct` are not JWT-SVID
 * algorithms), an EC curve other than P-256/P-384/P-521, an RSA modulus outside
 * 2048–16384 bits, an `alg` that is not a JWT-SVID algorithm for that key, `key_ops`
 * without `verify`.
 *
 * @throws {BundleError} `ERR_BUNDLE_JWK` when the JWK is malformed: no `kid` on a usable
 *   key, missing or badly encoded key members, wrong member types.
 */
export function checkJwtSvidKey(jwk: JsonObject, kty: string, kid: string | undefined, at: string): CheckedJwtKey | string {
  const alg = own(jwk, "alg");
  if (alg !== undefined && typeof alg !== "string") throw new BundleError("ERR_BUNDLE_JWK", `${at}: "alg" must be a string, got ${show(alg)}`);
  const keyOps = own(jwk, "key_ops");
  if (keyOps !== undefined && (!Array.isArray(keyOps) || !keyOps.every((o) => typeof o === "string"))) {
    throw new BundleError("ERR_BUNDLE_JWK", `${at}: "key_ops" must be an array of strings, got ${show(keyOps)}`);
  }
  let members: Record<string, string>;
  switch (kty) {
    case "EC": {
      const crv = own(jwk, "crv");
      if (typeof crv !== "string") throw new BundleError("ERR_BUNDLE_JWK", `${at}: EC key needs a string "crv", got ${show(crv)}`);
      const curve = EC_CURVES.get(crv);
      if (!curve) return `EC curve ${show(crv)} is not supported for JWT-SVIDs (P-256, P-384, P-521)`;
      if (alg !== undefined && alg !== curve.alg) return `"alg" ${show(alg)} cannot be used with a ${crv} key for JWT-SVIDs (expected ${curve.alg})`;
      const x = coordinate(jwk, "x", curve.size, crv, at);
      const y = coordinate(jwk, "y", curve.size, crv, at);
      members = { crv, x, y };
      break;
    }
    case "RSA": {
      if (alg !== undefined && !RSA_ALGS.has(alg)) return `"alg" ${show(alg)} is not a JWT-SVID algorithm for RSA keys (RS256/384/512, PS256/384/512)`;
      const n = base64UrlMember(jwk, "n", at);
      const e = base64UrlMember(jwk, "e", at);
      const nBytes = decodeBase64Url(n)!;
      const eBytes = stripLeadingZeros(decodeBase64Url(e)!);
      if (eBytes.length === 0 || eBytes.length > 8 || (eBytes[eBytes.length - 1]! & 1) === 0 || (eBytes.length === 1 && eBytes[0] === 1)) {
        throw new BundleError("ERR_BUNDLE_JWK", `${at}: RSA exponent "e" must be an odd integer greater than 1 of at most 64 bits`);
      }
      const bits = bitLength(nBytes);
      if (bits < MIN_RSA_BITS) return `RSA modulus of ${bits} bits is too small (at least ${MIN_RSA_BITS} bits)`;
      if (bits > MAX_RSA_BITS) return `RSA modulus of ${bits} bits is too large (at most ${MAX_RSA_BITS} bits)`;
      members = { n, e };
      break;
    }
    case "OKP":
      return `OKP keys (EdDSA) are not allowed for JWT-SVIDs, which use RS*, ES* or PS* algorithms only`;
    case "oct":
      return `symmetric ("oct") keys are not allowed for JWT-SVIDs`;
    default:
      return `unknown key type ${show(kty)}`;
  }
  if (Array.isArray(keyOps) && !keyOps.includes("verify")) return `"key_ops" does not include "verify"`;
  if (kid === undefined || kid === "") {
    throw new BundleError("ERR_BUNDLE_JWK", `${at}: a JWT-SVID key MUST have a non-empty "kid" (JWT-SVID spec §6.1)`);
  }
  const key: PublicJwk = alg === undefined ? { kty, kid, ...members } : { kty, kid, alg, ...members };
  return Object.freeze({ kid, jwk: Object.freeze(key) });
}

/** Canonical text of a normalized JWK (sorted members), for equality checks. */
export function canonicalJwk(jwk: PublicJwk): string {
  const rec: Record<string, unknown> = { ...jwk };
  return JSON.stringify(Object.keys(rec).sort().map((k) => [k, rec[k]]));
}

function base64UrlMember(jwk: JsonObject, name: string, at: string): string {
  const value = own(jwk, name);
  if (typeof value !== "string" || value === "") throw new BundleError("ERR_BUNDLE_JWK", `${at}: key member "${name}" must be a non-empty base64url string`);
  if (decodeBase64Url(value) === undefined) throw new BundleError("ERR_BUNDLE_JWK", `${at}: key member "${name}" is not valid unpadded base64url`);
  return value;
}

function coordinate(jwk: JsonObject, name: string, size: number, crv: string, at: string): string {
  const value = base64UrlMember(jwk, name, at);
  const bytes = decodeBase64Url(value)!;
  if (bytes.length !== size) {
    throw new BundleError("ERR_BUNDLE_JWK", `${at}: ${crv} coordinate "${name}" must be ${size} bytes, got ${bytes.length}`);
  }
  return value;
}

export function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function bitLength(bytes: Uint8Array): number {
  const b = stripLeadingZeros(bytes);
  if (b.length === 0) return 0;
  return (b.length - 1) * 8 + (32 - Math.clz32(b[0]!));
}
