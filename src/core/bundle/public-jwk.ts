/**
 * A public JSON Web Key as a bundle holds it (RFC 7517 §4, RFC 7518 §6). Structurally a
 * Web Crypto `JsonWebKey` (plus `kid` and `x5c`), so it can be passed to
 * `crypto.subtle.importKey("jwk", ...)`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface PublicJwk {
  /** Key type: `EC`, `RSA` or `OKP`. */
  readonly kty: string;
  /** Key ID (JWT-SVID keys always have one). */
  readonly kid?: string;
  /** Public key use: `jwt-svid` or `x509-svid` in SPIFFE bundles (absent from `findKey` results). */
  readonly use?: string;
  /** Algorithm the key is restricted to, when the bundle says so. */
  readonly alg?: string;
  /** EC / OKP curve name. */
  readonly crv?: string;
  /** EC / OKP public coordinate (base64url). */
  readonly x?: string;
  /** EC public coordinate (base64url). */
  readonly y?: string;
  /** RSA modulus (base64url). */
  readonly n?: string;
  /** RSA public exponent (base64url). */
  readonly e?: string;
  /** X.509 certificate chain (standard base64 DER), for `x509-svid` keys. */
  readonly x5c?: readonly string[];
}
