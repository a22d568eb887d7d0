// The public key of an X.509 certificate as JWK members (RFC 7518 §6.2, §6.3; RFC 8037 §2),
// for the `x509-svid` entries of a SPIFFE bundle, from the key the certificate parser decoded.
// Internal to the bundle module.
import { encodeBase64Url } from "../lib/base64url.ts";
import type { CertificateInfo } from "../lib/certificate.ts";

/** JWK public members of a certificate's key, or a message saying why they cannot be given. */
export type CertificateJwk =
  | { readonly kty: "RSA"; readonly n: string; readonly e: string }
  | { readonly kty: "EC"; readonly crv: string; readonly x: string; readonly y: string }
  | { readonly kty: "OKP"; readonly crv: string; readonly x: string };

/** Reads the certificate's subjectPublicKeyInfo as JWK members; a string explains a failure. */
export function certificateJwk(info: CertificateInfo): CertificateJwk | string {
  const key = info.publicKey;
  switch (key.kind) {
    case "rsa":
      return { kty: "RSA", n: encodeBase64Url(key.modulus), e: encodeBase64Url(key.exponent) };
    case "ec":
      return { kty: "EC", crv: key.curve.name, x: encodeBase64Url(key.x), y: encodeBase64Url(key.y) };
    case "okp":
      return { kty: "OKP", crv: key.crv, x: encodeBase64Url(key.x) };
    default:
      return key.problem;
  }
}
