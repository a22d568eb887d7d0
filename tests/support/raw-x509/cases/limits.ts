// The work limits of verifyX509Svid (Issue 14: "a hard bound on the work one peer can cause
// before it is authenticated"), each with a chain just over it and a near twin at it: the
// structural limits of one certificate (src/core/lib/x509/limits.ts: 32 extensions, 128 names
// per GeneralNames or subtree list, 32 attributes per Name, 32 policies, mappings, qualifiers
// and EKUs), the input limits (src/core/svid/x509/read-chain.ts: 64 KiB, 8 certificates) and
// the verification budget (src/core/svid/x509/verification-budget.ts: 9 signature checks
// weighing at most 9 P-256 units, 32 candidate issuers, 8 candidate paths, 1,024
// name-constraint comparisons). Key sizes and curves are in keys.ts.
import { type Der, ia5String, octetString, oid, seq } from "../der.ts";
import { certificatePolicies, extension, extKeyUsage, nameConstraints, policyMappings } from "../extensions.ts";
import { dnsName, uri } from "../general-name.ts";
import { generateKeyPair, key } from "../keys.ts";
import { dn, name } from "../name.ts";
import { ALG, ANY_POLICY, ATTR, EKU, EXT } from "../oids.ts";
import { type Built, ca, leaf, NOW, root } from "../pki.ts";
import { algorithmId, garbageSigner } from "../signers.ts";
import { type CaseInput, input, line, standard, twins, type X509Case } from "./case.ts";

const STRUCTURE = "Issue 14 (a hard bound on the work one peer can cause before it is authenticated), src/core/lib/x509/limits.ts";
const BUDGET = "Issue 14, src/core/svid/x509/verification-budget.ts";
/** A distinct unknown OID. */
const unknown = (k: number): string => `1.3.6.1.4.1.99999.7.${k}`;
/** A small, distinct, non-critical extension the verifier ignores. */
const filler = (k: number): ReturnType<typeof extension> => extension(unknown(k), new Uint8Array([5, 0]));
/** The leaf's default extensions: basicConstraints, keyUsage, extKeyUsage, subjectAltName, SKI, AKI. */
const LEAF_DEFAULT_EXTENSIONS = 6;
const before = new Date(NOW.getTime() - 1000);
const garbageEcdsa = garbageSigner(algorithmId(ALG.ecdsaWithSha256));

/** A Name of `count` attributes, one per RDN (O=SPIFFE, then CN=…). */
function nameOfSize(count: number): Der {
  return name([{ type: ATTR.organization, value: "SPIFFE" }], ...Array.from({ length: count - 1 }, (_, k) => [{ type: ATTR.commonName, value: `part ${k}` }]));
}

/** The standard chain with a leaf padded by one unknown extension so that the whole chain is `bytes` long. */
async function chainOfSize(bytes: number): Promise<CaseInput> {
  const build = (padding: number): Promise<CaseInput> => standard({ leaf: { add: [extension(unknown(0), octetString(new Uint8Array(padding)))] } });
  const size = (c: CaseInput): number => c.chain.reduce((n, d) => n + d.length, 0);
  let padding = bytes - size(await build(0));
  // Length octets grow with the padding: shrink until the chain is no longer than `bytes`.
  for (;;) {
    const c = await build(padding);
    if (size(c) <= bytes) return c;
    padding -= size(c) - bytes;
  }
}

/** Structural limits of one certificate (ERR_X509_SVID_CERTIFICATE). */
const structural: X509Case[] = [
  ...twins("limits/extensions-33", `${STRUCTURE}: at most 32 extensions in a certificate (the leaf has 33; the ~ok twin 32)`, "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ leaf: { add: Array.from({ length: 32 - LEAF_DEFAULT_EXTENSIONS + (bad ? 1 : 0) }, (_, k) => filler(k)) } }),
  ),
  ...twins("limits/san-names-129", `${STRUCTURE}: at most 128 names in a GeneralNames (the SAN holds the SPIFFE ID first, then 128 dNSNames; the ~ok twin 127)`, "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ leaf: { sans: [uri("spiffe://example.org/workload"), ...Array.from({ length: bad ? 128 : 127 }, (_, k) => dnsName(`n${k}.example.org`))] } }),
  ),
  ...twins("limits/name-attributes-33", `${STRUCTURE}: at most 32 attributes in a Name (the leaf's subject has 33; the ~ok twin 32)`, "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ leaf: { subject: nameOfSize(bad ? 33 : 32) } }),
  ),
  ...twins("limits/name-constraint-subtrees-129", `${STRUCTURE}: at most 128 subtrees in a list of name constraints (the intermediate permits example.org and 128 DNS subtrees; the ~ok twin 127)`, "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ inter: { add: [nameConstraints({ permitted: [uri("example.org"), ...Array.from({ length: bad ? 128 : 127 }, (_, k) => dnsName(`c${k}.example.com`))] })] } }),
  ),
  ...twins("limits/policies-33", `${STRUCTURE}: at most 32 certificate policies (the leaf asserts 33; the ~ok twin 32)`, "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ leaf: { add: [certificatePolicies(Array.from({ length: bad ? 33 : 32 }, (_, k) => unknown(100 + k)))] } }),
  ),
  ...twins("limits/policy-qualifiers-33", `${STRUCTURE}: at most 32 qualifiers for one policy (the leaf's policy has 33 CPS qualifiers; the ~ok twin 32)`, "ERR_X509_SVID_CERTIFICATE", (bad) => {
    const qualifier = seq(oid("1.3.6.1.5.5.7.2.1"), ia5String("https://example.org/cps"));
    const policies = seq(seq(oid(unknown(200)), seq(...Array.from({ length: bad ? 33 : 32 }, () => qualifier))));
    return standard({ leaf: { add: [extension(EXT.certificatePolicies, policies)] } });
  }),
  ...twins("limits/policy-mappings-33", `${STRUCTURE}: at most 32 policy mappings (the intermediate, asserting anyPolicy, maps 33; the ~ok twin 32)`, "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({
      inter: { add: [certificatePolicies([ANY_POLICY]), policyMappings(Array.from({ length: bad ? 33 : 32 }, (_, k) => [unknown(300 + k), unknown(400 + k)] as const))] },
    }),
  ),
  ...twins("limits/extended-key-usages-33", `${STRUCTURE}: at most 32 extended key usages (the leaf has serverAuth, clientAuth and 31 more; the ~ok twin 30 more)`, "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ leaf: { drop: [EXT.extKeyUsage], add: [extKeyUsage([EKU.serverAuth, EKU.clientAuth, ...Array.from({ length: bad ? 31 : 30 }, (_, k) => unknown(500 + k))])] } }),
  ),
];

/** Input limits (ERR_X509_SVID_TOO_LARGE, ERR_X509_SVID_CHAIN_TOO_LONG). */
const inputs: X509Case[] = [
  ...twins("limits/chain-input-65-kib", "verifyX509Svid's documented input limit: at most 64 KiB of chain input (the chain is 65 KiB, padded by an unknown extension in the leaf; the ~ok twin is padded to 64 KiB or a byte under)", "ERR_X509_SVID_TOO_LARGE", (bad) =>
    chainOfSize(bad ? 65 * 1024 : 64 * 1024),
  ),
  ...twins("limits/chain-certificates-9", "verifyX509Svid's documented input limit: at most 8 certificates (leaf + 8 intermediates; the ~ok twin leaf + 7, the longest valid path: 8 signature checks)", "ERR_X509_SVID_CHAIN_TOO_LONG", (bad) =>
    line(bad ? 8 : 7),
  ),
];

/**
 * A leaf whose issuer name M is shared by a CA `a` (the leaf's key k; a's own signature is
 * garbage), `decoys` CAs with other keys and the real issuer R (key k again, under an
 * intermediate I under the root). Without key identifiers every M-named CA is a candidate,
 * in the order sent: the leaf verifies under a (1 check), a fails under each decoy and under
 * k (decoys + 1), the leaf fails under each decoy (decoys), the leaf under R is the cached
 * k check, then R under I and I under the root (2): 2 × decoys + 4 checks.
 */
async function sameNameIssuers(decoys: number): Promise<CaseInput> {
  const r = await root();
  const i = await ca(r, { cn: "I" });
  const m = dn({ o: "SPIFFE", cn: "M" });
  const k = await generateKeyPair("P-256");
  const real = await ca(i, { key: k, subject: m });
  const a = await ca(i, { key: k, subject: m, issuerName: m, signWith: garbageEcdsa, drop: [EXT.authorityKeyIdentifier] });
  const others: Built[] = [];
  for (let j = 0; j < decoys; j++) others.push(await ca(i, { key: await key("P-256", `limits-decoy-${j}`), subject: m, issuerName: m, drop: [EXT.authorityKeyIdentifier] }));
  const l = await leaf(real, { drop: [EXT.authorityKeyIdentifier] });
  return input([l, a, ...others, real, i], [r]);
}

/**
 * A leaf whose issuer name M is shared by CAs `a` and `b` (the leaf's key k, their own
 * signatures garbage), `decoys` bundle authorities named M with RSA keys (an ECDSA signature
 * is never checked under them, but each is a candidate, and authorities are tried first; in
 * the bundle so that the chain stays within 8 certificates) and the real issuer R (key k,
 * under the root). The search considers the decoys and a, then a's candidates (the decoys,
 * b, R), then b and b's (the decoys, a, R), then R and R's (the root): 3 × decoys + 8.
 */
async function candidateIssuers(decoys: number): Promise<CaseInput> {
  const r = await root();
  const m = dn({ o: "SPIFFE", cn: "M" });
  const k = await generateKeyPair("P-256");
  const rsa = await key("RSA-2048", "limits");
  const real = await ca(r, { key: k, subject: m });
  const loose = (): Promise<Built> => ca(r, { key: k, subject: m, issuerName: m, signWith: garbageEcdsa, drop: [EXT.authorityKeyIdentifier] });
  const a = await loose();
  const b = await loose();
  const others: Built[] = [];
  for (let j = 0; j < decoys; j++) others.push(await ca(r, { key: rsa, subject: m }));
  const l = await leaf(real, { drop: [EXT.authorityKeyIdentifier] });
  return input([l, a, b, real], [r, ...others]);
}

/**
 * `expired` bundle authorities named like the leaf's issuer (same key k, expired; in the
 * bundle, where authorities are tried first, so that the chain stays within 8 certificates),
 * then the valid issuer in the chain under the root: each expired authority is a complete
 * candidate path that fails validation, then the valid one: `expired + 1` candidate paths.
 */
async function candidatePaths(expired: number): Promise<CaseInput> {
  const r = await root();
  const m = dn({ o: "SPIFFE", cn: "M" });
  const k = await generateKeyPair("P-256");
  const old: Built[] = [];
  for (let j = 0; j < expired; j++) old.push(await ca(r, { key: k, subject: m, notAfter: before }));
  const real = await ca(r, { key: k, subject: m });
  const l = await leaf(real, { drop: [EXT.authorityKeyIdentifier] });
  return input([l, real], [r, ...old]);
}

/** The verification budget (ERR_X509_SVID_VERIFICATION_LIMIT). */
const budget: X509Case[] = [
  ...twins(
    "limits/signature-checks-10",
    `${BUDGET}: at most 9 signature checks per verification (same-name issuers: the valid path is found after 2 × decoys + 4 checks: 3 decoys need 10, refused at the 10th; the ~ok twin's 2 decoys need 8)`,
    "ERR_X509_SVID_VERIFICATION_LIMIT",
    (bad) => sameNameIssuers(bad ? 3 : 2),
  ),
  ...twins(
    "limits/signature-cost-p521",
    `${BUDGET}: signature checks weigh at most 9 P-256 units, a P-521 check 4 (a P-521 decoy named like the intermediate, sent first, makes the valid P-521 chain cost 3 checks, 12 units; the ~ok twin is the valid 3-certificate P-521 chain: 2 checks, 8 units)`,
    "ERR_X509_SVID_VERIFICATION_LIMIT",
    async (bad) => {
      const r = await root({ key: "P-521" });
      const i = await ca(r, { key: "P-521", cn: "I-521" });
      const decoy = await ca(r, { key: "P-521", subject: i.name });
      const l = await leaf(i, { drop: [EXT.authorityKeyIdentifier] });
      return input(bad ? [l, decoy, i] : [l, i], [r]);
    },
  ),
  ...twins(
    "limits/candidate-issuers-33",
    `${BUDGET}: at most 32 candidate issuers per verification (same-name CAs, RSA decoy authorities under an ECDSA signature: the valid path is found at candidate 3 × decoys + 8: 9 decoys need 35; the ~ok twin's 8 need exactly 32)`,
    "ERR_X509_SVID_VERIFICATION_LIMIT",
    (bad) => candidateIssuers(bad ? 9 : 8),
  ),
  ...twins(
    "limits/candidate-paths-9",
    `${BUDGET}: at most 8 complete candidate paths per verification (8 expired bundle authorities named like the leaf's issuer before the valid path: the valid path is the 9th; the ~ok twin has 7 expired, the valid path the 8th)`,
    "ERR_X509_SVID_VERIFICATION_LIMIT",
    (bad) => candidatePaths(bad ? 8 : 7),
  ),
  ...twins(
    "limits/name-constraint-comparisons-1056",
    `${BUDGET}: at most 1,024 name × subtree comparisons per verification (32 excluded dNSName subtrees; the leaf's subject, SPIFFE ID and 31 dNSNames: 33 × 32 = 1,056; the ~ok twin 30 dNSNames: 32 × 32 = 1,024 exactly)`,
    "ERR_X509_SVID_VERIFICATION_LIMIT",
    async (bad) => {
      const r = await root();
      const i = await ca(r, { add: [nameConstraints({ excluded: Array.from({ length: 32 }, (_, j) => dnsName(`x${j}.example.com`)) })] });
      const l = await leaf(i, { sans: [uri("spiffe://example.org/workload"), ...Array.from({ length: bad ? 31 : 30 }, (_, k) => dnsName(`n${k}.example.org`))] });
      return input([l, i], [r]);
    },
  ),
];

/** Work-limit cases: structural limits of a certificate, input limits, the verification budget. */
export const limitCases: X509Case[] = [...structural, ...inputs, ...budget];
