// Key generation and algorithm parameters for the test CA (Web Crypto only). Not exported
// from the package.
import { TestingError } from "../testing-error.ts";

/**
 * Key algorithms of the test CA's X.509 authorities and of the SVIDs it issues: EC P-256
 * (ECDSA with SHA-256), EC P-384 (ECDSA with SHA-384), RSA-2048 (PKCS#1 v1.5 with SHA-256)
 * or Ed25519 (RFC 8410).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type TestKeyAlgorithm = "P-256" | "P-384" | "RSA-2048" | "Ed25519";

/** Every {@link TestKeyAlgorithm}, to validate options. */
export const TEST_KEY_ALGORITHMS: readonly TestKeyAlgorithm[] = ["P-256", "P-384", "RSA-2048", "Ed25519"];

/** Web Crypto key generation parameters of any algorithm the test CA uses. */
export type KeyGenParams = EcKeyGenParams | RsaHashedKeyGenParams | { readonly name: "Ed25519" };

/**
 * JWS algorithms of the test CA's JWT-SVID signing keys.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type TestJwtAlgorithm = "ES256" | "RS256" | "PS256";

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);

/**
 * Web Crypto generation parameters and the signature hash for a certificate key (`undefined`
 * for Ed25519, which has no separate hash).
 */
export function certKeyParams(alg: TestKeyAlgorithm): { params: KeyGenParams; hash: string | undefined } {
  switch (alg) {
    case "P-256":
      return { params: { name: "ECDSA", namedCurve: "P-256" }, hash: "SHA-256" };
    case "P-384":
      return { params: { name: "ECDSA", namedCurve: "P-384" }, hash: "SHA-384" };
    case "RSA-2048":
      return {
        params: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: RSA_EXPONENT, hash: "SHA-256" },
        hash: "SHA-256",
      };
    case "Ed25519":
      return { params: { name: "Ed25519" }, hash: undefined };
  }
}

/** Web Crypto generation parameters of a JWT signing key. */
export function jwtKeyParams(alg: TestJwtAlgorithm): EcKeyGenParams | RsaHashedKeyGenParams {
  switch (alg) {
    case "ES256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "RS256":
      return { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: RSA_EXPONENT, hash: "SHA-256" };
    case "PS256":
      return { name: "RSA-PSS", modulusLength: 2048, publicExponent: RSA_EXPONENT, hash: "SHA-256" };
  }
}

/** Web Crypto sign/verify parameters for a JWS algorithm. */
export function jwsSignParams(alg: TestJwtAlgorithm): AlgorithmIdentifier | EcdsaParams | RsaPssParams {
  switch (alg) {
    case "ES256":
      return { name: "ECDSA", hash: "SHA-256" };
    case "RS256":
      return { name: "RSASSA-PKCS1-v1_5" };
    case "PS256":
      return { name: "RSA-PSS", saltLength: 32 };
  }
}

/** Generates a key pair; `extractable` applies to the private key (public keys always are). */
export async function generateKeyPair(params: KeyGenParams, extractable: boolean): Promise<CryptoKeyPair> {
  try {
    return (await crypto.subtle.generateKey(params, extractable, ["sign", "verify"])) as CryptoKeyPair;
  } catch (err) {
    throw new TestingError("ERR_TESTING_CRYPTO", `could not generate a ${params.name} key pair`, { cause: err });
  }
}
