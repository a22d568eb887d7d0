// Path rules (RFC 5280 §6.1): pathLenConstraint, validity of every certificate, CA-ness of
// intermediates, unknown critical extensions, path building (loops, candidates), length.
import { basicConstraints, extension, keyUsage } from "../extensions.ts";
import { generateKeyPair } from "../keys.ts";
import { dn } from "../name.ts";
import { EXT } from "../oids.ts";
import { type Built, ca, leaf, NOW, root } from "../pki.ts";
import { input, line, single, standard, twins, type X509Case } from "./case.ts";

const SECOND = 1000;
const before = new Date(NOW.getTime() - SECOND);
const after = new Date(NOW.getTime() + SECOND);
const VALIDITY = "RFC 5280 §6.1.3 (a)(2): \"The certificate validity period includes the current time.\"; §4.1.2.5: \"the period of time from notBefore through notAfter, inclusive\"";
const PATH_LEN = "RFC 5280 §4.2.1.9: pathLenConstraint \"gives the maximum number of non-self-issued intermediate certificates that may follow this certificate in a valid certification path\"; §6.1.4 (l), (m)";
const CRITICAL = "RFC 5280 §4.2: \"A certificate-using system MUST reject the certificate if it encounters a critical extension it does not recognize\"";
const UNKNOWN_OID = "1.3.6.1.4.1.99999.42";

/** Path-validation cases (pathLen, validity, CA-ness, critical extensions, path building, length). */
export const pathCases: X509Case[] = [
  ...twins("path/path-length", `${PATH_LEN} (A has pathLen 0 and the intermediate B follows it)`, "ERR_X509_SVID_PATH_LENGTH", async (bad) => {
    const r = await root();
    const a = await ca(r, { pathLen: bad ? 0 : 1 });
    const b = await ca(a);
    const l = await leaf(b);
    return input([l, b, a], [r]);
  }),
  ...twins("path/path-length-of-bundle-authority", `${PATH_LEN}; RFC 5937 §3: a trust anchor's pathLenConstraint sets max_path_length (the bundle root has pathLen 0, one intermediate follows)`, "ERR_X509_SVID_PATH_LENGTH", (bad) =>
    standard({ root: { pathLen: bad ? 0 : 1 } }),
  ),
  ...twins("path/path-length-skips-self-issued", `${PATH_LEN}; §6.1.4 (l): \"If certificate i is not self-issued, verify that max_path_length is greater than zero\" (A has pathLen 0; in the ~ok twin the certificate below it is self-issued)`, "ERR_X509_SVID_PATH_LENGTH", async (bad) => {
    const r = await root();
    const a = await ca(r, { pathLen: 0 });
    const a2 = await ca(a, { subject: bad ? dn({ o: "SPIFFE", cn: "A2" }) : a.name });
    const l = await leaf(a2);
    return input([l, a2, a], [r]);
  }),
  ...twins("path/path-length-other-path-valid", `${PATH_LEN}; RFC 4158 §2 (path building tries other candidates): the first candidate issuer B (under A, pathLen 0) ends a path that violates pathLen; another certificate of B (same name and key) issued by the root gives a valid path in the ~ok twin`, "ERR_X509_SVID_PATH_LENGTH", async (bad) => {
    const r = await root();
    const a = await ca(r, { pathLen: 0, cn: "A" });
    const bKey = await generateKeyPair("P-256");
    const b1 = await ca(a, { key: bKey, cn: "B" });
    const b2 = await ca(r, { key: bKey, cn: "B" });
    const l = await leaf(b1);
    return input(bad ? [l, b1, a] : [l, b1, a, b2], [r]);
  }),
  ...twins("path/leaf-expired", VALIDITY, "ERR_X509_SVID_EXPIRED", (bad) => standard({ leaf: { notAfter: bad ? before : after } })),
  ...twins("path/leaf-not-yet-valid", VALIDITY, "ERR_X509_SVID_NOT_YET_VALID", (bad) => standard({ leaf: { notBefore: bad ? after : before } })),
  ...twins("path/not-after-is-inclusive", `${VALIDITY} (notAfter = now is valid; one second earlier is not)`, "ERR_X509_SVID_EXPIRED", (bad) => standard({ leaf: { notAfter: bad ? before : NOW } })),
  ...twins("path/not-before-is-inclusive", `${VALIDITY} (notBefore = now is valid; one second later is not)`, "ERR_X509_SVID_NOT_YET_VALID", (bad) => standard({ leaf: { notBefore: bad ? after : NOW } })),
  ...twins("path/intermediate-expired", VALIDITY, "ERR_X509_SVID_EXPIRED", (bad) => standard({ inter: { notAfter: bad ? before : after } })),
  ...twins("path/intermediate-not-yet-valid", VALIDITY, "ERR_X509_SVID_NOT_YET_VALID", (bad) => standard({ inter: { notBefore: bad ? after : before } })),
  ...twins("path/bundle-authority-expired", "verifyX509Svid's documented rule \"every certificate of the path is within its validity window\" (the trust anchor's validity is outside RFC 5280 §6.1, whose path excludes it; RFC 5937 §2 lets it be enforced)", "ERR_X509_SVID_EXPIRED", (bad) =>
    standard({ root: { notAfter: bad ? before : after } }),
  ),
  ...twins("path/intermediate-not-ca", "RFC 5280 §6.1.4 (k): \"verify that the basicConstraints extension is present and that cA is set to TRUE\"", "ERR_X509_SVID_INTERMEDIATE_NOT_CA", (bad) =>
    standard({ inter: { drop: [EXT.basicConstraints], add: [basicConstraints({ ca: bad ? undefined : true })] } }),
  ),
  ...twins("path/intermediate-without-basic-constraints", "RFC 5280 §6.1.4 (k): \"verify that the basicConstraints extension is present\"", "ERR_X509_SVID_INTERMEDIATE_NOT_CA", (bad) =>
    standard({ inter: { drop: bad ? [EXT.basicConstraints] : [] } }),
  ),
  ...twins("path/intermediate-without-key-cert-sign", "RFC 5280 §6.1.4 (n): \"If a key usage extension is present, verify that the keyCertSign bit is set.\"", "ERR_X509_SVID_INTERMEDIATE_NOT_CA", (bad) =>
    standard({ inter: { keyUsage: bad ? ["digitalSignature", "cRLSign"] : ["keyCertSign"] } }),
  ),
  single("path/intermediate-without-key-usage", "RFC 5280 §6.1.4 (n) applies only \"If a key usage extension is present\"", "accept", () => standard({ inter: { drop: [EXT.keyUsage] } })),
  ...twins("path/unknown-critical-extension-leaf", CRITICAL, "ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION", (bad) =>
    standard({ leaf: { add: [extension(UNKNOWN_OID, new Uint8Array([5, 0]), bad)] } }),
  ),
  ...twins("path/unknown-critical-extension-intermediate", `${CRITICAL}; §6.1.4 (o): \"Recognize and process any other critical extension present in the certificate.\"`, "ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION", (bad) =>
    standard({ inter: { add: [extension(UNKNOWN_OID, new Uint8Array([5, 0]), bad)] } }),
  ),
  ...twins("path/issuer-loop", "RFC 5280 §6.1 / RFC 4158 §2.4.2 (loop detection): X and Y certify each other and nothing leads to the bundle root; the ~ok twin adds X certified by the root", "ERR_X509_SVID_UNTRUSTED", async (bad) => {
    const r = await root();
    const xKey = await generateKeyPair("P-256");
    const x1 = await ca(r, { key: xKey, cn: "X" });
    const y = await ca(x1, { cn: "Y" });
    const x2 = await ca(y, { key: xKey, cn: "X" });
    const l = await leaf(x2);
    return input(bad ? [l, x2, y] : [l, x2, y, x1], [r]);
  }),
  ...twins("path/many-same-name-candidates", "RFC 5280 §6.1.3 (a)(1), RFC 4158 §3: 6 CA certificates named like the leaf's issuer with other keys come first; the ~ok twin also sends the real issuer, last (8 certificates, the input limit)", "ERR_X509_SVID_UNTRUSTED", async (bad) => {
    const r = await root();
    const decoys: Built[] = [];
    for (let k = 0; k < 6; k++) decoys.push(await ca(r, { cn: "Issuer" }));
    const real = await ca(r, { cn: "Issuer" });
    const l = await leaf(real);
    return input(bad ? [l, ...decoys] : [l, ...decoys, real], [r]);
  }),
  ...twins("path/chain-too-long", "verifyX509Svid's documented cap: at most 8 certificates (the rejected chain sends 9; the ~ok twin 7)", "ERR_X509_SVID_CHAIN_TOO_LONG", (bad) => line(bad ? 8 : 6)),
  ...twins("path/unknown-root", "X509-SVID §5.1 / RFC 5280 §6.1: the path must end at an authority of the bundle (the rejected chain was issued under another root)", "ERR_X509_SVID_UNTRUSTED", async (bad) => {
    const r = await root();
    const other = await root();
    const i = await ca(bad ? other : r);
    const l = await leaf(i);
    return input([l, i], [r]);
  }),
  ...twins("path/issuer-name-matches-key-differs", "RFC 5280 §6.1.3 (a)(1): the signature must verify with the issuer's key (another root with the bundle root's name signed the intermediate)", "ERR_X509_SVID_UNTRUSTED", async (bad) => {
    const r = await root({ cn: "Same Root" });
    const impostor = await root({ cn: "Same Root" });
    const i = await ca(bad ? impostor : r);
    const l = await leaf(i);
    return input([l, i], [r]);
  }),
  ...twins("path/peer-sent-root-is-not-an-anchor", "X509-SVID §5.1: trust comes from the bundle only; a self-signed root sent by the peer (bundle root's name, other key) is not a trust anchor; the ~ok twin sends the real bundle root, which is ignored as a duplicate", "ERR_X509_SVID_UNTRUSTED", async (bad) => {
    const r = await root({ cn: "Peer Root" });
    const impostor = await root({ cn: "Peer Root" });
    const i = await ca(bad ? impostor : r);
    const l = await leaf(i);
    return input([l, i, bad ? impostor : r], [r]);
  }),
  single("path/leaf-keyusage-key-agreement", "X509-SVID §4.3: a leaf \"MUST set digitalSignature\" and MAY set keyEncipherment or keyAgreement", "accept", () =>
    standard({ leaf: { drop: [EXT.keyUsage], add: [keyUsage(["digitalSignature", "keyAgreement"])] } }),
  ),
];
