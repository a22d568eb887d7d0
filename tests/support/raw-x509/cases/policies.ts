// Certificate policies (RFC 5280 §6.1.3 (d)-(f), §6.1.4 (a), (b), (h)-(j), §6.1.5 as updated by
// RFC 9618), with the default inputs: initial-policy-set {anyPolicy}, nothing required or inhibited.
import { oid, seq } from "../der.ts";
import { certificatePolicies, extension, inhibitAnyPolicy, policyConstraints, policyMappings } from "../extensions.ts";
import { ANY_POLICY, EXT } from "../oids.ts";
import { ca, leaf, root } from "../pki.ts";
import { input, single, standard, twins, type X509Case } from "./case.ts";

const P1 = "1.3.6.1.4.1.99999.1.1";
const P2 = "1.3.6.1.4.1.99999.1.2";
const EXPLICIT = "RFC 5280 §6.1.3 (f): \"If explicit_policy is equal to zero and the valid_policy_tree is NULL, then path processing has failed\"";

/** Certificate-policy cases (RFC 5280 §6.1 as updated by RFC 9618, default inputs). */
export const policyCases: X509Case[] = [
  ...twins("policy/require-explicit-policy-none-asserted", `${EXPLICIT}; the intermediate has requireExplicitPolicy 0 (§6.1.4 (i)) and no certificate asserts a policy (the ~ok twin: both assert P1)`, "ERR_X509_SVID_POLICY", (bad) =>
    standard({
      inter: { add: [policyConstraints({ requireExplicitPolicy: 0 }), ...(bad ? [] : [certificatePolicies([P1])])] },
      leaf: { add: bad ? [] : [certificatePolicies([P1])] },
    }),
  ),
  ...twins("policy/require-explicit-policy-mismatch", `${EXPLICIT}; §6.1.3 (d)(1): the leaf's P2 is expected by no node (the intermediate asserts P1)`, "ERR_X509_SVID_POLICY", (bad) =>
    standard({ inter: { add: [certificatePolicies([P1]), policyConstraints({ requireExplicitPolicy: 0 })] }, leaf: { add: [certificatePolicies([bad ? P2 : P1])] } }),
  ),
  ...twins("policy/require-explicit-policy-in-leaf", "RFC 5280 §6.1.5 (b): \"If a policy constraints extension is included in the certificate and requireExplicitPolicy is present and has a value of 0, set the explicit_policy state variable to 0.\"; §6.1.5 (g): fails with a NULL tree (the ~ok twin: both assert policies)", "ERR_X509_SVID_POLICY", (bad) =>
    standard({ inter: { add: bad ? [] : [certificatePolicies([ANY_POLICY])] }, leaf: { add: [policyConstraints({ requireExplicitPolicy: 0 }), ...(bad ? [] : [certificatePolicies([P1])])] } }),
  ),
  ...twins("policy/inhibit-policy-mapping", "RFC 5280 §6.1.4 (b)(2): \"If the policy_mapping variable is equal to 0: (i) delete the node, if any, of depth i in the valid_policy_tree with a valid_policy of ID-P\"; with requireExplicitPolicy 0 the leaf's mapped P2 then fails §6.1.3 (f)", "ERR_X509_SVID_POLICY", async (bad) => {
    const r = await root();
    const i1 = await ca(r, { add: [certificatePolicies([ANY_POLICY]), policyConstraints({ requireExplicitPolicy: 0, inhibitPolicyMapping: bad ? 0 : undefined })] });
    const i2 = await ca(i1, { add: [certificatePolicies([P1]), policyMappings([[P1, P2]])] });
    const l = await leaf(i2, { add: [certificatePolicies([P2])] });
    return input([l, i2, i1], [r]);
  }),
  ...twins("policy/mapping-from-any-policy", "RFC 5280 §6.1.4 (a): \"If a policy mappings extension is present, verify that the special value anyPolicy does not appear as an issuerDomainPolicy or a subjectDomainPolicy.\"", "ERR_X509_SVID_POLICY", async (bad) => {
    const r = await root();
    const i1 = await ca(r, { add: [certificatePolicies([ANY_POLICY])] });
    const i2 = await ca(i1, { add: [certificatePolicies([P1]), policyMappings([[bad ? ANY_POLICY : P1, P2]])] });
    const l = await leaf(i2, { add: [certificatePolicies([P2])] });
    return input([l, i2, i1], [r]);
  }),
  ...twins("policy/mapping-to-any-policy", "RFC 5280 §6.1.4 (a): anyPolicy must not appear \"as an issuerDomainPolicy or a subjectDomainPolicy\"", "ERR_X509_SVID_POLICY", async (bad) => {
    const r = await root();
    const i1 = await ca(r, { add: [certificatePolicies([ANY_POLICY])] });
    const i2 = await ca(i1, { add: [certificatePolicies([P1]), policyMappings([[P1, bad ? ANY_POLICY : P2]])] });
    const l = await leaf(i2, { add: [certificatePolicies([P2])] });
    return input([l, i2, i1], [r]);
  }),
  ...twins("policy/inhibit-any-policy", "RFC 5280 §6.1.3 (d)(2): anyPolicy is honoured only \"if ... (inhibit_anyPolicy is greater than 0 or (i<n and the certificate is self-issued))\"; §6.1.4 (j); I1 sets inhibitAnyPolicy 0 and requireExplicitPolicy 0, I2 asserts only anyPolicy", "ERR_X509_SVID_POLICY", async (bad) => {
    const r = await root();
    const i1 = await ca(r, { add: [certificatePolicies([ANY_POLICY]), policyConstraints({ requireExplicitPolicy: 0 }), ...(bad ? [inhibitAnyPolicy(0)] : [])] });
    const i2 = await ca(i1, { add: [certificatePolicies([ANY_POLICY])] });
    const l = await leaf(i2, { add: [certificatePolicies([P1])] });
    return input([l, i2, i1], [r]);
  }),
  ...twins("policy/duplicate-policy", "RFC 5280 §4.2.1.4: \"A certificate policy OID MUST NOT appear more than once in a certificate policies extension.\"", "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ leaf: { add: [extension(EXT.certificatePolicies, bad ? seq(seq(oid(P1)), seq(oid(P1))) : seq(seq(oid(P1)), seq(oid(P2))))] } }),
  ),
  ...twins("policy/empty-policy-constraints", "RFC 5280 §4.2.1.11: \"Conforming CAs MUST NOT issue certificates where policy constraints is an empty sequence. That is, either the inhibitPolicyMapping field or the requireExplicitPolicy field MUST be present.\"", "ERR_X509_SVID_CERTIFICATE", (bad) =>
    standard({ inter: { add: [policyConstraints(bad ? {} : { requireExplicitPolicy: 5 })] } }),
  ),
  single("policy/recognized-critical-policy-extensions", "RFC 5280 §4.2.1.4, §4.2.1.11, §4.2.1.14: certificatePolicies, policyConstraints and inhibitAnyPolicy are processed (§6.1), so critical ones are not unhandled critical extensions", "accept", async () => {
    const r = await root();
    const i = await ca(r, { add: [certificatePolicies([ANY_POLICY], true), policyConstraints({ requireExplicitPolicy: 3 }), inhibitAnyPolicy(3), policyMappings([[P2, P1]])] });
    const l = await leaf(i, { add: [certificatePolicies([P1], true)] });
    return input([l, i], [r]);
  }),
];
