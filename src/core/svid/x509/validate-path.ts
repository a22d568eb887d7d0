// RFC 5280 §6.1 basic path validation of ONE candidate path whose signatures were already
// checked while it was built: validity, CA and key usage of every issuer, path length,
// name constraints, certificate policies and unprocessed critical extensions. The trust
// anchor is a certificate of the bundle; as in Go (and RFC 5937), its validity, CA flags,
// path length and name constraints apply too, its policies do not (§6.1: the anchor is an
// input, not part of the path). Not exported from the package.
import type { CertificateInfo } from "../../lib/certificate.ts";
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import type { TrustDomain } from "../../spiffeid/trust-domain.ts";
import { PolicyState } from "./certificate-policies.ts";
import { caProblem, checkCriticalExtensions, validityProblem } from "./leaf-rules.ts";
import { NameConstraintState } from "./name-constraints.ts";
import type { VerificationBudget } from "./verification-budget.ts";

/**
 * Validates `path` (leaf first, bundle authority last) at `now`.
 *
 * @throws {X509SvidError} with the code of the first rule the path breaks.
 */
export function validatePath(path: readonly CertificateInfo[], now: Date, td: TrustDomain, budget: VerificationBudget): void {
  const n = path.length - 1;
  const anchor = path[n]!;
  const anchorWhat = `the bundle authority (serial ${anchor.serialNumberHex})`;
  const invalid = validityProblem(anchor, now, anchorWhat);
  if (invalid) throw invalid;
  const notCa = caProblem(anchor);
  if (notCa) {
    throw new X509SvidError("ERR_X509_SVID_UNTRUSTED", `the chain does not lead to an authority of the X.509 bundle of "${td.name}": ${anchorWhat} ${notCa}`);
  }
  checkCriticalExtensions(anchor, anchorWhat);
  const names = new NameConstraintState();
  names.add(anchor);
  const policies = new PolicyState(n);
  // max_path_length (§6.1.4 (l), (m)), starting from the anchor's pathLenConstraint; who set it, for messages.
  let remaining = anchor.pathLenConstraint ?? Infinity;
  let limitedBy = `${anchorWhat} (pathLenConstraint ${anchor.pathLenConstraint})`;

  for (let i = n - 1; i >= 0; i--) {
    const cert = path[i]!;
    const isLeaf = i === 0;
    const what = isLeaf ? "the leaf certificate" : `intermediate certificate ${i} (serial ${cert.serialNumberHex})`;
    const expired = validityProblem(cert, now, isLeaf ? `the leaf certificate (serial ${cert.serialNumberHex})` : `the ${what}`);
    if (expired) throw expired;
    // §6.1.3 (b), (c): self-issued intermediates are exempt; the leaf never is.
    if (isLeaf || !cert.selfIssued) names.check(cert, what, budget);
    policies.process(cert, isLeaf, what);
    if (isLeaf) break;

    // §6.1.4: preparation for the certificate below.
    const problem = caProblem(cert);
    if (problem) throw new X509SvidError("ERR_X509_SVID_INTERMEDIATE_NOT_CA", `${what} ${problem}; intermediates must be CAs with keyCertSign`);
    checkCriticalExtensions(cert, what);
    policies.prepare(cert, what);
    names.add(cert);
    if (!cert.selfIssued) {
      if (remaining <= 0) throw new X509SvidError("ERR_X509_SVID_PATH_LENGTH", `${what} is one intermediate too many: ${limitedBy} allows no more below it`);
      remaining--;
    }
    if (cert.pathLenConstraint !== undefined && cert.pathLenConstraint < remaining) {
      remaining = cert.pathLenConstraint;
      limitedBy = `the ${what} (pathLenConstraint ${cert.pathLenConstraint})`;
    }
  }
  policies.finish(path[0]!, "the leaf certificate");
}
