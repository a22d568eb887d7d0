// Hand-built JWS for the JWT-SVID tests: keys for every JWT-SVID algorithm (and HMAC), and
// a signer that takes any header and payload (including ones no library would produce).
import { JwtBundle, JwtSvidError, type JwtSvidErrorCode } from "../../../../mod.ts";

export type Alg = "ES256" | "ES384" | "ES512" | "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512";
export const ALGS: readonly Alg[] = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

export function b64u(input: Uint8Array | string): string {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const part = (value: unknown): string => b64u(JSON.stringify(value));

/** A signing key and the public JWK (with `kid`) that the bundle holds. */
export interface SigningKey {
  readonly alg: Alg;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: Record<string, unknown>;
}

const HASH = { "256": "SHA-256", "384": "SHA-384", "512": "SHA-512" } as const;
const CURVE = { ES256: "P-256", ES384: "P-384", ES512: "P-521" } as const;

function publicMembers(jwk: JsonWebKey, kid: string): Record<string, unknown> {
  const out: Record<string, unknown> = { kid };
  for (const m of ["kty", "crv", "x", "y", "n", "e"] as const) if (jwk[m] !== undefined) out[m] = jwk[m];
  return out;
}

/** One EC key per curve, one RSA key (imported for RS* and PS* with each hash). */
export async function createKeys(prefix = ""): Promise<Record<Alg, SigningKey>> {
  const out: Partial<Record<Alg, SigningKey>> = {};
  for (const alg of ["ES256", "ES384", "ES512"] as const) {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: CURVE[alg] }, true, ["sign", "verify"])) as CryptoKeyPair;
    const kid = `${prefix}${alg.toLowerCase()}`;
    out[alg] = { alg, kid, privateKey: pair.privateKey, jwk: publicMembers(await crypto.subtle.exportKey("jwk", pair.publicKey), kid) };
  }
  const rsa = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", rsa.privateKey);
  const rsaJwk = await crypto.subtle.exportKey("jwk", rsa.publicKey);
  for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] as const) {
    const name = alg.startsWith("RS") ? "RSASSA-PKCS1-v1_5" : "RSA-PSS";
    const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name, hash: HASH[alg.slice(2) as "256"] }, false, ["sign"]);
    out[alg] = { alg, kid: `${prefix}rsa`, privateKey, jwk: publicMembers(rsaJwk, `${prefix}rsa`) };
  }
  return out as Record<Alg, SigningKey>;
}

/** The bundle of `td` holding the distinct public keys of `keys`. */
export function bundleOf(td: string, keys: Iterable<SigningKey>): JwtBundle {
  const byKid = new Map<string, Record<string, unknown>>();
  for (const k of keys) byKid.set(k.kid, k.jwk);
  return JwtBundle.fromKeys(td, [...byKid.values()]);
}

function signParams(alg: string): AlgorithmIdentifier | EcdsaParams | RsaPssParams | HmacImportParams {
  const bits = alg.slice(2);
  if (alg.startsWith("ES")) return { name: "ECDSA", hash: HASH[bits as "256"] };
  if (alg.startsWith("PS")) return { name: "RSA-PSS", saltLength: Number(bits) / 8 };
  if (alg.startsWith("HS")) return { name: "HMAC" };
  return { name: "RSASSA-PKCS1-v1_5" };
}

/** Signs `header.payload` (objects are JSON-encoded, strings are used as the raw part) with `key` for `alg`. */
export async function signRaw(alg: string, key: CryptoKey, header: unknown, payload: unknown): Promise<string> {
  const h = typeof header === "string" ? header : part(header);
  const p = typeof payload === "string" ? payload : part(payload);
  const sig = await crypto.subtle.sign(signParams(alg), key, new TextEncoder().encode(`${h}.${p}`));
  return `${h}.${p}.${b64u(new Uint8Array(sig))}`;
}

/** A token signed by `key`, header `{ alg, kid, typ: "JWT" }` plus `header` overrides (`undefined` removes). */
export function signWith(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const h: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: "JWT", ...header };
  for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
  const alg = typeof h["alg"] === "string" && /^(ES|RS|PS)\d{3}$/.test(h["alg"]) ? (h["alg"] as string) : key.alg;
  return signRaw(alg, key.privateKey, h, claims);
}

/** Runs `fn` and returns the JwtSvidError code, asserting the message does not leak `token`. */
export async function codeOf(fn: () => Promise<unknown> | unknown, token?: string): Promise<JwtSvidErrorCode | "no error" | string> {
  try {
    await fn();
    return "no error";
  } catch (err) {
    if (!(err instanceof JwtSvidError)) return `not a JwtSvidError: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
    if (token !== undefined && token.length > 20) {
      const parts = token.split(".");
      const secret = parts.length === 3 ? parts[2]! : token;
      if (err.message.includes(token) || (secret.length > 8 && err.message.includes(secret))) return `message leaks the token (${err.code})`;
    }
    return err.code;
  }
}
