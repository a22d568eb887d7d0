// The public key of an X.509 certificate as JWK members (RFC 7518 §6.2, §6.3; RFC 8037 §2),
// for the `x509-svid` entries of a SPIFFE bundle. Internal to the bundle module.
import * as asn1js from "asn1js";
import { encodeBase64Url } from "../lib/base64url.ts";
import type { CertificateInfo } from "../lib/certificate.ts";
import { stripLeadingZeros } from "./jwt-key.ts";

const OID_RSA = "1.2.840.113549.1.1.1";
const OID_EC = "1.2.840.10045.2.1";
const CURVES: ReadonlyMap<string, { crv: string; size: number }> = new Map([
  ["1.2.840.10045.3.1.7", { crv: "P-256", size: 32 }],
  ["1.3.132.0.34", { crv: "P-384", size: 48 }],
  ["1.3.132.0.35", { crv: "P-521", size: 66 }],
]);
const OKP: ReadonlyMap<string, { crv: string; size: number }> = new Map([
  ["1.3.101.112", { crv: "Ed25519", size: 32 }],
  ["1.3.101.113", { crv: "Ed448", size: 57 }],
]);

/** JWK public members of a certificate's key, or a message saying why they cannot be given. */
export type CertificateJwk =
  | { readonly kty: "RSA"; readonly n: string; readonly e: string }
  | { readonly kty: "EC"; readonly crv: string; readonly x: string; readonly y: string }
  | { readonly kty: "OKP"; readonly crv: string; readonly x: string };

/** Reads the certificate's subjectPublicKeyInfo as JWK members; a string explains a failure. */
export function certificateJwk(info: CertificateInfo): CertificateJwk | string {
  try {
    const spki = info.pkijs.subjectPublicKeyInfo;
    const oid = spki.algorithm.algorithmId;
    const key = spki.subjectPublicKey.valueBlock.valueHexView;
    if (oid === OID_RSA) {
      const parsed = asn1js.fromBER(key);
      const seq = parsed.result;
      if (parsed.offset === -1 || !(seq instanceof asn1js.Sequence) || seq.valueBlock.value.length !== 2) return "RSA public key cannot be decoded";
      const [n, e] = seq.valueBlock.value;
      if (!(n instanceof asn1js.Integer) || !(e instanceof asn1js.Integer)) return "RSA public key cannot be decoded";
      return {
        kty: "RSA",
        n: encodeBase64Url(stripLeadingZeros(n.valueBlock.valueHexView)),
        e: encodeBase64Url(stripLeadingZeros(e.valueBlock.valueHexView)),
      };
    }
    if (oid === OID_EC) {
      const params: unknown = spki.algorithm.algorithmParams;
      const curve = params instanceof asn1js.ObjectIdentifier ? CURVES.get(params.getValue()) : undefined;
      if (!curve) return "EC key on an unsupported curve (P-256, P-384, P-521)";
      if (key.length !== 1 + 2 * curve.size || key[0] !== 0x04) return `EC public key is not an uncompressed ${curve.crv} point`;
      return {
        kty: "EC",
        crv: curve.crv,
        x: encodeBase64Url(key.subarray(1, 1 + curve.size)),
        y: encodeBase64Url(key.subarray(1 + curve.size)),
      };
    }
    const okp = OKP.get(oid);
    if (okp) {
      if (key.length !== okp.size) return `${okp.crv} public key must be ${okp.size} bytes`;
      return { kty: "OKP", crv: okp.crv, x: encodeBase64Url(key) };
    }
    return `unsupported public key algorithm ${oid}`;
  } catch (err) {
    return `public key cannot be decoded (${err instanceof Error ? err.message : String(err)})`;
  }
}
