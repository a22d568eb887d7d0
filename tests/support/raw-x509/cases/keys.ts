// Public keys: RSA sizes and exponents, EC points and curves, other key types. The odd keys
// are subject keys of the leaf (they never sign), except where a CA key is tested.
import { nullValue } from "../der.ts";
import { dsaSpki, ecSpki, explicitP256Parameters, fakeRsaModulus, key, p256PointOf, rsaSpki, SECP256K1_G, uncompressedPoint, withKeyParameters, x25519Spki } from "../keys.ts";
import { ALG } from "../oids.ts";
import { ca, leaf, root } from "../pki.ts";
import { type CaseInput, input, twins, type X509Case } from "./case.ts";

/** root → intermediate → leaf whose SubjectPublicKeyInfo is `spki`. */
async function leafKey(spki: Uint8Array<ArrayBuffer>): Promise<CaseInput> {
  const r = await root();
  const i = await ca(r);
  const l = await leaf(i, { edit: (f) => void (f.spki = spki) });
  return input([l, i], [r]);
}

const rsaKey = (bits: number, e = 65537n): Uint8Array<ArrayBuffer> => rsaSpki(fakeRsaModulus(bits), e);
const POLICY = "Issue 14 key policy (RSA capped at 4096 bits: Deno 2.9 cannot import larger SPKI keys, SPIRE issues 2048 and 4096): RSA moduli of 2048 to 4096 bits, odd exponents 3 ≤ e ≤ 65537 (the cost of a check grows with the exponent); EC only on P-256, P-384, P-521 with uncompressed points on the curve; otherwise only Ed25519";

async function p256Point(): Promise<{ x: bigint; y: bigint }> {
  return p256PointOf((await key("P-256", "key-cases")).spki);
}

/** Public-key cases (RSA sizes and exponents, EC points and curves, other key types). */
export const keyCases: X509Case[] = [
  ...twins("key/rsa-1024", `${POLICY} (1024 bits)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) => leafKey(rsaKey(bad ? 1024 : 2048))),
  ...twins("key/rsa-2047", `${POLICY} (2047 bits)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) => leafKey(rsaKey(bad ? 2047 : 2048))),
  ...twins("key/rsa-4104", `${POLICY} (4104 bits; the ~ok twin has 4096)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) => leafKey(rsaKey(bad ? 4104 : 4096))),
  ...twins("key/rsa-8192", `${POLICY} (8192 bits; the ~ok twin has 4096)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) => leafKey(rsaKey(bad ? 8192 : 4096))),
  ...twins("key/rsa-exponent-1", `${POLICY}; RFC 8017 §3.1: \"e is an integer between 3 and n - 1\"`, "ERR_X509_SVID_PUBLIC_KEY", (bad) => leafKey(rsaKey(2048, bad ? 1n : 65537n))),
  ...twins("key/rsa-exponent-2", `${POLICY}; RFC 8017 §3.1 (e ≥ 3, and gcd(e, λ(n)) = 1 makes it odd); the ~ok twin has e = 3`, "ERR_X509_SVID_PUBLIC_KEY", (bad) => leafKey(rsaKey(2048, bad ? 2n : 3n))),
  ...twins("key/rsa-exponent-65539", `${POLICY} (e = 65539, the next odd exponent above 65537, is refused; the ~ok twin has 65537)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) =>
    leafKey(rsaKey(2048, bad ? 65539n : 65537n)),
  ),
  ...twins("key/rsa-exponent-2^31+1", `${POLICY} (e = 2^31 + 1 is refused, as crypto/rsa does too; the ~ok twin has e = 65537)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) =>
    leafKey(rsaKey(2048, bad ? 2n ** 31n + 1n : 65537n)),
  ),
  ...twins("key/rsa-exponent-3000-bits", `${POLICY} (a ~3,000-bit exponent; the ~ok twin has 65537)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) => leafKey(rsaKey(3072, bad ? fakeRsaModulus(3000) : 65537n))),
  ...twins("key/rsa-parameters-absent", "RFC 3279 §2.3.1: for rsaEncryption \"The parameters field MUST have ASN.1 type NULL for this algorithm identifier.\" (a malformed SubjectPublicKeyInfo, so a malformed certificate)", "ERR_X509_SVID_CERTIFICATE", (bad) =>
    leafKey(rsaSpki(fakeRsaModulus(2048), 65537n, bad ? "absent" : "null")),
  ),
  ...twins("key/ec-point-not-on-curve", `${POLICY}; SEC 1 §3.2.2.1 public key validation (y changed by one)`, "ERR_X509_SVID_PUBLIC_KEY", async (bad) => {
    const { x, y } = await p256Point();
    return leafKey(ecSpki(ALG.p256, uncompressedPoint(x, bad ? y ^ 1n : y, 32)));
  }),
  ...twins("key/ec-compressed-point", `${POLICY}; RFC 5480 §2.2: the compressed form (0x02/0x03) is optional to support`, "ERR_X509_SVID_PUBLIC_KEY", async (bad) => {
    const { x, y } = await p256Point();
    const pt = bad ? new Uint8Array([y & 1n ? 3 : 2, ...uncompressedPoint(x, y, 32).subarray(1, 33)]) : uncompressedPoint(x, y, 32);
    return leafKey(ecSpki(ALG.p256, pt));
  }),
  ...twins("key/ec-secp256k1", `${POLICY} (secp256k1, a valid point of it)`, "ERR_X509_SVID_PUBLIC_KEY", async (bad) => {
    const { x, y } = await p256Point();
    return leafKey(bad ? ecSpki(ALG.secp256k1, uncompressedPoint(SECP256K1_G.x, SECP256K1_G.y, 32)) : ecSpki(ALG.p256, uncompressedPoint(x, y, 32)));
  }),
  ...twins("key/ec-explicit-curve-parameters", "RFC 5480 §2.1.1: \"specifiedCurve, which is of type SpecifiedECDomain type and is defined in [X9.62], allows all of the elliptic curve domain parameters to be explicitly specified. This choice MUST NOT be used.\"", "ERR_X509_SVID_PUBLIC_KEY", async (bad) => {
    const { x, y } = await p256Point();
    return leafKey(ecSpki(bad ? explicitP256Parameters() : ALG.p256, uncompressedPoint(x, y, 32)));
  }),
  ...twins("key/dsa", `${POLICY} (DSA, RFC 3279 §2.3.2)`, "ERR_X509_SVID_PUBLIC_KEY", async (bad) => leafKey(bad ? dsaSpki() : (await key("P-256", "key-cases")).spki)),
  ...twins("key/x25519", `${POLICY} (X25519 is a key-agreement key, RFC 8410 §3; the ~ok twin has an Ed25519 key)`, "ERR_X509_SVID_PUBLIC_KEY", async (bad) =>
    leafKey(bad ? await x25519Spki() : (await key("Ed25519", "key-cases")).spki),
  ),
  ...twins("key/ed25519-with-parameters", "RFC 8410 §3: \"For all of the OIDs, the parameters MUST be absent.\" (Ed25519 SubjectPublicKeyInfo with NULL parameters: a malformed certificate; the ~ok twin: an Ed25519 leaf key)", "ERR_X509_SVID_CERTIFICATE", async (bad) => {
    const ed = (await key("Ed25519", "key-cases")).spki;
    const raw = ed.subarray(ed.length - 32);
    return leafKey(bad ? withKeyParameters(ALG.ed25519, nullValue(), raw) : ed);
  }),
  ...twins("key/intermediate-rsa-1024", `${POLICY}: CA keys too (an intermediate with a real 1024-bit key signs the leaf)`, "ERR_X509_SVID_PUBLIC_KEY", async (bad) => {
    const r = await root();
    const i = await ca(r, { key: await key(bad ? "RSA-1024" : "RSA-2048", "key-cases") });
    const l = await leaf(i);
    return input([l, i], [r]);
  }),
  ...twins("key/rsa-exponent-even", `${POLICY} (e = 4; the ~ok twin: 4096 bits, e = 3, both bounds inclusive)`, "ERR_X509_SVID_PUBLIC_KEY", (bad) =>
    leafKey(rsaSpki(fakeRsaModulus(4096), bad ? 4n : 3n)),
  ),
];

