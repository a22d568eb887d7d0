// Compact JWS signing and a deliberately small verification for the test CA and the
// development Workload API server. The SDK's real JWT-SVID validator lives in
// src/core/svid/jwt/. Not exported from the package.
import { type TestJwtAlgorithm, jwsSignParams } from "./keys.ts";
import { base64UrlDecode, base64UrlEncode } from "./base64url.ts";

/**
 * A public JWT-SVID key as published in a JWT bundle (JWKS).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface TestJwk {
  /** Key type. */
  readonly kty: "EC" | "RSA";
  /** Key ID, as JWT-SVIDs name it in their `kid` header. */
  readonly kid: string;
  /** Always `"jwt-svid"` in a SPIFFE bundle. */
  readonly use: "jwt-svid";
  /** EC: the curve, e.g. `"P-256"`. */
  readonly crv?: string;
  /** EC: the public point's x coordinate, base64url. */
  readonly x?: string;
  /** EC: the public point's y coordinate, base64url. */
  readonly y?: string;
  /** RSA: the modulus, base64url. */
  readonly n?: string;
  /** RSA: the public exponent, base64url. */
  readonly e?: string;
}

/** Signs a compact JWS with the header `{ alg, kid, typ: "JWT" }`. */
export async function signJws(alg: TestJwtAlgorithm, kid: string, key: CryptoKey, payload: Record<string, unknown>): Promise<string> {
  const input = `${base64UrlEncode(JSON.stringify({ alg, kid, typ: "JWT" }))}.${base64UrlEncode(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign(jwsSignParams(alg), key, new TextEncoder().encode(input));
  return `${input}.${base64UrlEncode(new Uint8Array(signature))}`;
}

/** Turns a Web Crypto public JWK into the JWKS entry of a JWT bundle. */
export function toTestJwk(jwk: JsonWebKey, kid: string): TestJwk {
  if (jwk.kty === "EC") return { kty: "EC", kid, use: "jwt-svid", crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
  return { kty: "RSA", kid, use: "jwt-svid", n: jwk.n!, e: jwk.e! };
}

/** The decoded parts of a compact JWS, or a message saying why it could not be decoded. */
export interface DecodedJws {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  readonly signingInput: Uint8Array<ArrayBuffer>;
  readonly signature: Uint8Array<ArrayBuffer>;
}

/** Splits and decodes a compact JWS (no signature check). */
export function decodeJws(token: string): DecodedJws | string {
  const parts = token.split(".");
  if (parts.length !== 3) return "token is not a compact JWS (header.payload.signature)";
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  const payload = decodeJson(p);
  const signature = base64UrlDecode(s);
  if (!header || !payload || !signature) return "token has a malformed part";
  return { header, payload, signingInput: new TextEncoder().encode(`${h}.${p}`), signature };
}

/** A public key from any JWKS (our own, or a JwtBundle's `toJwks()`). */
export type AnyJwk = Readonly<Record<string, unknown>>;

/** Verifies the signature of a decoded JWS with a public JWK; false for any mismatch or unusable key. */
export async function verifyJws(jws: DecodedJws, jwk: AnyJwk): Promise<boolean> {
  const alg = jws.header["alg"];
  let importParams: EcKeyImportParams | RsaHashedImportParams;
  const kty = jwk["kty"];
  if (alg === "ES256" && kty === "EC" && jwk["crv"] === "P-256") importParams = { name: "ECDSA", namedCurve: "P-256" };
  else if (alg === "RS256" && kty === "RSA") importParams = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  else if (alg === "PS256" && kty === "RSA") importParams = { name: "RSA-PSS", hash: "SHA-256" };
  else return false;
  try {
    const material: JsonWebKey = { kty };
    for (const name of ["crv", "x", "y", "n", "e"] as const) {
      const v = jwk[name];
      if (typeof v === "string") material[name] = v;
    }
    const key = await crypto.subtle.importKey("jwk", material, importParams, false, ["verify"]);
    return await crypto.subtle.verify(jwsSignParams(alg), key, jws.signature, jws.signingInput);
  } catch {
    return false;
  }
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  const bytes = base64UrlDecode(part);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
