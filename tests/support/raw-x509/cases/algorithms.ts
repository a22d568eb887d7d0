// Signature algorithms: refused hashes (by the hash actually used, RSA-PSS included), RSA-PSS
// parameters, AlgorithmIdentifier parameters, outer/inner agreement, Ed25519.
import { type Der, integer, nullValue, oid, seq } from "../der.ts";
import { key } from "../keys.ts";
import { ALG } from "../oids.ts";
import { ca, leaf, root } from "../pki.ts";
import { algorithmId, declaring, ecdsaSigner, ed25519Signer, garbageSigner, rsaPkcs1Signer, rsaPssSigner, type Signer } from "../signers.ts";
import type { KeyPair } from "../keys.ts";
import { type CaseInput, input, single, twins, type X509Case } from "./case.ts";

/** root → intermediate (key `interKey`) → leaf signed by `signLeaf(interKey)`: the leaf's signature algorithm is what varies. */
async function leafSignedWith(interKey: KeyPair, signLeaf: (k: KeyPair) => Signer, o: { outer?: Der } = {}): Promise<CaseInput> {
  const r = await root();
  const i = await ca(r, { key: interKey });
  const l = await leaf(i, { signWith: signLeaf(interKey), sign: o.outer ? { outerAlgorithm: o.outer } : {} });
  return input([l, i], [r]);
}

/** root (key `rootKey`) → intermediate signed by `signInter(rootKey)` → leaf. */
async function intermediateSignedWith(rootKey: KeyPair, signInter: (k: KeyPair) => Signer): Promise<CaseInput> {
  const r = await root({ key: rootKey });
  const i = await ca(r, { signWith: signInter(rootKey) });
  const l = await leaf(i);
  return input([l, i], [r]);
}

const rsa = (): Promise<KeyPair> => key("RSA-2048", "algorithms");
const ec = (): Promise<KeyPair> => key("P-256", "algorithms");
const REFUSED = "Issue 14 algorithm policy: MD5 and SHA-1 are refused by the hash actually used (RFC 6151 §2: MD5 is not acceptable where collision resistance is required such as digital signatures; SHA-1 chosen-prefix collisions are practical)";

/** Signature-algorithm cases (refused hashes, RSA-PSS parameters, AlgorithmIdentifier parameters, Ed25519). */
export const algorithmCases: X509Case[] = [
  ...twins("alg/md5-rsa", `${REFUSED}; md5WithRSAEncryption (RFC 3279 §2.2.1)`, "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await rsa(), (k) => rsaPkcs1Signer(k, bad ? "MD5" : "SHA-256")),
  ),
  ...twins("alg/sha1-rsa", `${REFUSED}; sha1WithRSAEncryption`, "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await rsa(), (k) => rsaPkcs1Signer(k, bad ? "SHA-1" : "SHA-256")),
  ),
  ...twins("alg/sha1-ecdsa", `${REFUSED}; ecdsa-with-SHA1 (RFC 3279 §2.2.3)`, "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await ec(), (k) => ecdsaSigner(k, bad ? "SHA-1" : "SHA-256")),
  ),
  ...twins("alg/sha1-rsa-intermediate", `${REFUSED}; the intermediate (not the leaf) is signed with sha1WithRSAEncryption`, "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    intermediateSignedWith(await rsa(), (k) => rsaPkcs1Signer(k, bad ? "SHA-1" : "SHA-256")),
  ),
  ...twins(
    "alg/pss-default-parameters-sha1",
    `${REFUSED}; RFC 4055 §3.1: RSASSA-PSS-params with every field at its DEFAULT (an empty SEQUENCE) means SHA-1, MGF1 with SHA-1, salt 20`,
    "ERR_X509_SVID_SIGNATURE_ALGORITHM",
    async (bad) => leafSignedWith(await rsa(), (k) => rsaPssSigner(k, bad ? {} : { hash: "SHA-256" })),
  ),
  ...twins("alg/pss-explicit-sha1", `${REFUSED}; RSA-PSS naming SHA-1 and MGF1-SHA-1 explicitly`, "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await rsa(), (k) => rsaPssSigner(k, bad ? { hash: "SHA-1", encoding: "explicit" } : { hash: "SHA-256" })),
  ),
  ...twins(
    "alg/pss-mgf1-sha1",
    `${REFUSED} (the MGF1 hash included); issue 14: RSA-PSS only with MGF1 of the same hash as the message hash (RFC 4055 §3.1 / RFC 8017 §8.1 recommend the same hash)`,
    "ERR_X509_SVID_SIGNATURE_ALGORITHM",
    async (bad) => leafSignedWith(await rsa(), (k) => rsaPssSigner(k, { hash: "SHA-256", mgfHash: bad ? "SHA-1" : "SHA-256" })),
  ),
  ...twins("alg/pss-salt-length", "Issue 14: RSA-PSS salt length must equal the hash length (RFC 4055 §3.1: saltLength SHOULD be the hash length); SHA-256 with salt 20", "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await rsa(), (k) => rsaPssSigner(k, { hash: "SHA-256", saltLength: bad ? 20 : 32 })),
  ),
  ...twins("alg/pss-trailer-field", "RFC 4055 §3.1: \"trailerField ... MUST be 1\" (here 2)", "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await rsa(), (k) => rsaPssSigner(k, { hash: "SHA-256", trailerField: bad ? 2 : 1 })),
  ),
  single("alg/pss-sha384", "RFC 4055 §3.1: RSA-PSS with SHA-384, MGF1-SHA-384, salt 48", "accept", async () => leafSignedWith(await rsa(), (k) => rsaPssSigner(k, { hash: "SHA-384" }))),
  single("alg/pss-sha512", "RFC 4055 §3.1: RSA-PSS with SHA-512, MGF1-SHA-512, salt 64", "accept", async () => leafSignedWith(await rsa(), (k) => rsaPssSigner(k, { hash: "SHA-512" }))),
  ...twins(
    "alg/outer-inner-mismatch",
    "RFC 5280 §4.1.1.2: signatureAlgorithm \"MUST contain the same algorithm identifier as the signature field in the sequence tbsCertificate\" (TBS says SHA-256, outer says SHA-384)",
    "ERR_X509_SVID_CERTIFICATE",
    async (bad) => leafSignedWith(await rsa(), (k) => rsaPkcs1Signer(k, "SHA-256"), { outer: bad ? algorithmId(ALG.sha384WithRSA, "null") : undefined }),
  ),
  ...twins(
    "alg/outer-inner-parameters-mismatch",
    "RFC 5280 §4.1.1.2 (same algorithm identifier): TBS sha256WithRSAEncryption with NULL, outer without parameters",
    "ERR_X509_SVID_CERTIFICATE",
    async (bad) => leafSignedWith(await rsa(), (k) => rsaPkcs1Signer(k, "SHA-256"), { outer: bad ? algorithmId(ALG.sha256WithRSA, "absent") : undefined }),
  ),
  ...twins("alg/ecdsa-with-parameters", "RFC 5758 §3.2: for ecdsa-with-SHA256 \"the encoding MUST omit the parameters field\" (here NULL)", "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await ec(), (k) => ecdsaSigner(k, "SHA-256", { params: bad ? "null" : "absent" })),
  ),
  ...twins(
    "alg/rsa-pkcs1-garbage-parameters",
    "RFC 4055 §5: for sha256WithRSAEncryption \"the parameters MUST be NULL. Implementations MUST accept the parameters being absent as well as present.\" (an INTEGER is neither; the ~ok twin has them absent, which MUST be accepted)",
    "ERR_X509_SVID_SIGNATURE_ALGORITHM",
    async (bad) => leafSignedWith(await rsa(), (k) => rsaPkcs1Signer(k, "SHA-256", { params: bad ? integer(5) : "absent" })),
  ),
  single("alg/rsa-pkcs1-null-parameters", "RFC 4055 §5: sha256WithRSAEncryption with NULL parameters", "accept", async () => leafSignedWith(await rsa(), (k) => rsaPkcs1Signer(k, "SHA-256", { params: nullValue() }))),
  ...twins("alg/ed25519-chain", "RFC 8410 §3: for Ed25519 \"the parameters MUST be absent\" (the rejected variant signs the leaf with NULL parameters); an all-Ed25519 chain is valid", "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) => {
    const r = await root({ key: "Ed25519" });
    const i = await ca(r, { key: "Ed25519" });
    const l = await leaf(i, { key: "Ed25519", signWith: ed25519Signer(i.key, { params: bad ? "null" : "absent" }) });
    return input([l, i], [r]);
  }),
  ...twins("alg/unknown-signature-algorithm", "Issue 14: unknown signature algorithms are refused (OID 1.2.3.4 with a random signature)", "ERR_X509_SVID_SIGNATURE_ALGORITHM", async (bad) =>
    leafSignedWith(await ec(), (k) => (bad ? garbageSigner(seq(oid("1.2.3.4"))) : ecdsaSigner(k, "SHA-256"))),
  ),
  ...twins("alg/bad-signature", "RFC 5280 §6.1.3 (a)(1): \"The signature on the certificate can be verified using working_public_key_algorithm, the working_public_key, and the working_public_key_parameters\" (random octets as the ECDSA signature)", "ERR_X509_SVID_UNTRUSTED", async (bad) =>
    leafSignedWith(await ec(), (k) => (bad ? garbageSigner(algorithmId(ALG.ecdsaWithSha256)) : ecdsaSigner(k, "SHA-256"))),
  ),
  ...twins("alg/signature-under-other-algorithm", "RFC 5280 §6.1.3 (a)(1): an ECDSA-SHA-256 signature declared as ecdsa-with-SHA384 does not verify", "ERR_X509_SVID_UNTRUSTED", async (bad) =>
    leafSignedWith(await ec(), (k) => (bad ? declaring(ecdsaSigner(k, "SHA-256"), algorithmId(ALG.ecdsaWithSha384)) : ecdsaSigner(k, "SHA-256"))),
  ),
  single("alg/p384-and-p521", "RFC 5480 §2.1.1.1: named curves secp384r1 and secp521r1 (ECDSA with SHA-384, SHA-512)", "accept", async () => {
    const r = await root({ key: "P-384" });
    const i = await ca(r, { key: "P-521" });
    const l = await leaf(i, { key: "P-384" });
    return input([l, i], [r]);
  }),
  single("alg/rsa-pss-intermediate", "RFC 4055: an intermediate signed with RSA-PSS SHA-256 by an RSA root", "accept", async () => intermediateSignedWith(await rsa(), (k) => rsaPssSigner(k, { hash: "SHA-256" }))),
];
