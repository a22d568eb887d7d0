// SPIFFE leaf rules (X509-SVID spec §2, §3, §4.1, §4.3, §5.2) and the bundle of the right trust domain.
import { basicConstraints } from "../extensions.ts";
import { dnsName, uri } from "../general-name.ts";
import { generateKeyPair } from "../keys.ts";
import { dn } from "../name.ts";
import { EXT } from "../oids.ts";
import { type Built, ca, leaf, root } from "../pki.ts";
import { defaultSigner } from "../signers.ts";
import { input, single, standard, TD, twins, type X509Case } from "./case.ts";

const ID = `spiffe://${TD}/workload`;

/** A leaf that signed itself (not a CA), as the only certificate of the chain. */
async function selfSignedLeaf(): Promise<Built> {
  const key = await generateKeyPair("P-256");
  const name = dn({ o: "SPIFFE", cn: "self" });
  const self = { der: new Uint8Array(0), fields: undefined, name, key, signer: defaultSigner(key), signedBy: defaultSigner(key) } as unknown as Built;
  return leaf(self, { key, subject: name });
}

/** SPIFFE leaf-rule cases (URI SAN, SPIFFE ID, CA-ness, key usage, bundle of the right trust domain). */
export const leafCases: X509Case[] = [
  ...twins("leaf/no-uri-san", "X509-SVID §2: \"An X.509 SVID MUST contain exactly one URI SAN\" (only a dNSName here)", "ERR_X509_SVID_NO_URI_SAN", (bad) =>
    standard({ leaf: { sans: bad ? [dnsName("svc.example.org")] : [uri(ID), dnsName("svc.example.org")] } }),
  ),
  ...twins("leaf/two-uri-sans", "X509-SVID §2: \"An X.509 SVID MUST contain exactly one URI SAN\"", "ERR_X509_SVID_MULTIPLE_URI_SANS", (bad) =>
    standard({ leaf: { sans: bad ? [uri(ID), uri(`${ID}/other`)] : [uri(ID)] } }),
  ),
  ...twins("leaf/spiffe-id-without-path", "X509-SVID §3 / SPIFFE-ID §2.2: a leaf SVID identifies a workload, so its ID has a path (spiffe://example.org alone names the trust domain)", "ERR_X509_SVID_NO_PATH", (bad) =>
    standard({ leaf: { id: bad ? `spiffe://${TD}` : ID } }),
  ),
  ...twins("leaf/spiffe-id-dot-segment", "SPIFFE-ID §2.2: \"Paths MUST NOT include . or .. segments\"", "ERR_X509_SVID_INVALID_SPIFFE_ID", (bad) =>
    standard({ leaf: { id: bad ? `spiffe://${TD}/a/../b` : `spiffe://${TD}/a/b` } }),
  ),
  ...twins("leaf/spiffe-id-not-spiffe-scheme", "SPIFFE-ID §2: \"the scheme MUST be set to spiffe\"", "ERR_X509_SVID_INVALID_SPIFFE_ID", (bad) =>
    standard({ leaf: { id: bad ? `https://${TD}/workload` : ID } }),
  ),
  ...twins("leaf/is-ca", "X509-SVID §4.1: \"leaf certificates MUST set the cA field to false\"", "ERR_X509_SVID_LEAF_IS_CA", (bad) =>
    standard({ leaf: { drop: [EXT.basicConstraints], add: [basicConstraints({ ca: bad ? true : undefined })] } }),
  ),
  ...twins("leaf/key-cert-sign", "X509-SVID §4.3: \"Leaf SVIDs MUST NOT set keyCertSign or cRLSign.\"", "ERR_X509_SVID_LEAF_KEY_CERT_SIGN", (bad) =>
    standard({ leaf: { keyUsage: bad ? ["digitalSignature", "keyCertSign"] : ["digitalSignature"] } }),
  ),
  ...twins("leaf/crl-sign", "X509-SVID §4.3: \"Leaf SVIDs MUST NOT set keyCertSign or cRLSign.\"", "ERR_X509_SVID_LEAF_CRL_SIGN", (bad) =>
    standard({ leaf: { keyUsage: bad ? ["digitalSignature", "cRLSign"] : ["digitalSignature"] } }),
  ),
  ...twins("leaf/bundle-of-another-trust-domain", "X509-SVID §5.1: the chain is validated against the bundle of the leaf's own trust domain (other.org leaf, example.org bundle only)", "ERR_X509_SVID_NO_BUNDLE", (bad) =>
    standard({ leaf: { id: "spiffe://other.org/workload" }, trustDomain: bad ? TD : "other.org" }),
  ),
  ...twins("leaf/self-signed-leaf-as-authority", "X509-SVID §4.1 (a leaf's cA is false: it is no signing authority) and §5.1 (validate up to a bundle authority): a self-signed leaf put in the bundle is not trusted; the ~ok twin is the usual leaf under the bundle root", "ERR_X509_SVID_UNTRUSTED", async (bad) => {
    if (!bad) return standard();
    const l = await selfSignedLeaf();
    return input([l], [l]);
  }),
  single("leaf/self-signed-leaf", "RFC 5280 §6.1: a self-signed leaf that is not in the bundle has no path to a bundle authority", { code: "ERR_X509_SVID_UNTRUSTED" }, async () => {
    const l = await selfSignedLeaf();
    const r = await root();
    return input([l], [r]);
  }),
  single("leaf/intermediates-in-any-order", "verifyX509Svid: intermediates may come in any order", "accept", async () => {
    const r = await root();
    const a = await ca(r);
    const b = await ca(a);
    const l = await leaf(b);
    return input([l, a, b], [r]);
  }),
];
