// Certificate policy processing along a path (RFC 5280 §6.1.2 (a), (d)-(f), §6.1.3 (d)-(f),
// §6.1.4 (a)-(b), (h)-(j), §6.1.5 (a)-(b), (g), as updated by RFC 9618, which replaces the
// valid_policy_tree with a graph). The SDK runs it with the RFC's default inputs:
// user-initial-policy-set = {anyPolicy}, and initial-explicit-policy, initial-policy-mapping-
// inhibit and initial-any-policy-inhibit all false. With those inputs only the nodes at the
// current depth decide the outcome, so the graph is kept one depth at a time: for each
// valid_policy, its expected_policy_set. Not exported from the package.
import type { CertificateInfo } from "../../lib/certificate.ts";
import { ANY_POLICY } from "../../lib/x509/extensions.ts";
import { X509SvidError } from "../../errors/x509-svid-error.ts";

/** Policy nodes at one depth: valid_policy → expected_policy_set. `undefined` is the NULL graph. */
type Depth = Map<string, Set<string>> | undefined;

/** Policy state of one path; feed it the certificates from the one below the anchor down to the leaf. */
export class PolicyState {
  #depth: Depth = new Map([[ANY_POLICY, new Set([ANY_POLICY])]]);
  #explicitPolicy: number;
  #inhibitAnyPolicy: number;
  #policyMapping: number;

  /** `n`: the number of certificates of the path below the trust anchor (§6.1.2). */
  constructor(n: number) {
    this.#explicitPolicy = n + 1;
    this.#inhibitAnyPolicy = n + 1;
    this.#policyMapping = n + 1;
  }

  /** §6.1.3 (d)-(f) for certificate i; `isLast`: the leaf (i = n). */
  process(cert: CertificateInfo, isLast: boolean, what: string): void {
    const previous = this.#depth;
    if (previous && cert.policies) {
      const next = new Map<string, Set<string>>();
      const anyParent = previous.has(ANY_POLICY);
      for (const policy of cert.policies) {
        if (policy === ANY_POLICY) continue;
        // (d)(1): a parent expecting this policy; (d)(2): otherwise a child of anyPolicy.
        const matched = [...previous.values()].some((expected) => expected.has(policy));
        if (matched || anyParent) next.set(policy, new Set([policy]));
      }
      // (d)(3): anyPolicy in the certificate, while anyPolicy is not inhibited (or a self-issued intermediate).
      if (cert.policies.includes(ANY_POLICY) && (this.#inhibitAnyPolicy > 0 || (!isLast && cert.selfIssued))) {
        for (const expected of previous.values()) {
          for (const policy of expected) if (!next.has(policy)) next.set(policy, new Set([policy]));
        }
      }
      this.#depth = next.size > 0 ? next : undefined;
    } else {
      // (e): no certificatePolicies extension → the graph becomes NULL.
      this.#depth = undefined;
    }
    // (f)
    if (this.#explicitPolicy <= 0 && !this.#depth) {
      throw new X509SvidError("ERR_X509_SVID_POLICY", `${what}: the path requires an explicit certificate policy (policyConstraints requireExplicitPolicy) and no acceptable policy remains`);
    }
  }

  /** §6.1.4 (a)-(b), (h)-(j): prepare for the certificate below `cert` (an intermediate). */
  prepare(cert: CertificateInfo, what: string): void {
    const mappings = cert.policyMappings;
    if (mappings) {
      // (a): anyPolicy is never mapped to or from.
      if (mappings.some((m) => m.issuerDomainPolicy === ANY_POLICY || m.subjectDomainPolicy === ANY_POLICY)) {
        throw new X509SvidError("ERR_X509_SVID_POLICY", `${what} maps anyPolicy in its policyMappings (RFC 5280 §6.1.4 (a))`);
      }
      const depth = this.#depth;
      if (depth) {
        const mappedFrom = new Map<string, Set<string>>();
        for (const m of mappings) {
          let to = mappedFrom.get(m.issuerDomainPolicy);
          if (!to) mappedFrom.set(m.issuerDomainPolicy, (to = new Set()));
          to.add(m.subjectDomainPolicy);
        }
        for (const [from, to] of mappedFrom) {
          if (this.#policyMapping > 0) {
            // (b)(1): the node for `from` now expects the mapped policies; created under anyPolicy if absent.
            if (depth.has(from)) depth.set(from, to);
            else if (depth.has(ANY_POLICY)) depth.set(from, to);
          } else {
            // (b)(2): mapping inhibited: the node for `from` is deleted.
            depth.delete(from);
          }
        }
        if (depth.size === 0) this.#depth = undefined;
      }
    }
    // (h): counters count down for every certificate that is not self-issued.
    if (!cert.selfIssued) {
      if (this.#explicitPolicy > 0) this.#explicitPolicy--;
      if (this.#policyMapping > 0) this.#policyMapping--;
      if (this.#inhibitAnyPolicy > 0) this.#inhibitAnyPolicy--;
    }
    // (i), (j)
    const pc = cert.policyConstraints;
    if (pc?.requireExplicitPolicy !== undefined) this.#explicitPolicy = Math.min(this.#explicitPolicy, pc.requireExplicitPolicy);
    if (pc?.inhibitPolicyMapping !== undefined) this.#policyMapping = Math.min(this.#policyMapping, pc.inhibitPolicyMapping);
    if (cert.inhibitAnyPolicy !== undefined) this.#inhibitAnyPolicy = Math.min(this.#inhibitAnyPolicy, cert.inhibitAnyPolicy);
  }

  /** §6.1.5 (a), (b), (g): after the leaf was processed. */
  finish(leaf: CertificateInfo, what: string): void {
    if (this.#explicitPolicy > 0) this.#explicitPolicy--;
    if (leaf.policyConstraints?.requireExplicitPolicy === 0) this.#explicitPolicy = 0;
    // (g) with user-initial-policy-set = {anyPolicy}: the graph is kept as it is.
    if (this.#explicitPolicy <= 0 && !this.#depth) {
      throw new X509SvidError("ERR_X509_SVID_POLICY", `${what}: the path requires an explicit certificate policy and no acceptable policy remains`);
    }
  }
}
