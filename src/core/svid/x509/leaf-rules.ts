// The SPIFFE leaf rules (X509-SVID spec §2, §4.1, §4.3, §5.2) and the checks shared by
// parsing and verification. Not exported from the package.
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import type { CertificateInfo } from "../../lib/certificate.ts";
import { SpiffeId } from "../../spiffeid/spiffe-id.ts";

/**
 * Checks that `leaf` is an X.509-SVID leaf and returns its SPIFFE ID: exactly one URI SAN,
 * a valid SPIFFE ID with a path, not a CA, no `keyCertSign`/`cRLSign`, and no critical
 * extension the SDK does not process (RFC 5280 §4.2).
 *
 * @throws {X509SvidError} with the code of the first rule that failed.
 */
export function checkLeaf(leaf: CertificateInfo): SpiffeId {
  if (leaf.uriSans.length === 0) {
    throw new X509SvidError("ERR_X509_SVID_NO_URI_SAN", "the leaf certificate has no URI SAN; an X.509-SVID carries its SPIFFE ID as exactly one URI SAN");
  }
  if (leaf.uriSans.length > 1) {
    throw new X509SvidError(
      "ERR_X509_SVID_MULTIPLE_URI_SANS",
      `the leaf certificate has ${leaf.uriSans.length} URI SANs; an X.509-SVID must have exactly one`,
    );
  }
  let id: SpiffeId;
  try {
    id = SpiffeId.parse(leaf.uriSans[0]!);
  } catch (err) {
    throw new X509SvidError("ERR_X509_SVID_INVALID_SPIFFE_ID", `the leaf's URI SAN is not a valid SPIFFE ID: ${messageOf(err)}`, { cause: err });
  }
  if (id.isTrustDomainId) {
    throw new X509SvidError(
      "ERR_X509_SVID_NO_PATH",
      `the leaf's SPIFFE ID "${id}" has no path; an X.509-SVID names a workload, e.g. "${id}/service"`,
    );
  }
  if (leaf.isCa) {
    throw new X509SvidError("ERR_X509_SVID_LEAF_IS_CA", `the leaf certificate of "${id}" is a CA (basicConstraints cA=true); a leaf must have cA=false`);
  }
  if (leaf.keyUsage?.keyCertSign) {
    throw new X509SvidError("ERR_X509_SVID_LEAF_KEY_CERT_SIGN", `the leaf certificate of "${id}" has the keyCertSign key usage, which a leaf must not have`);
  }
  if (leaf.keyUsage?.cRLSign) {
    throw new X509SvidError("ERR_X509_SVID_LEAF_CRL_SIGN", `the leaf certificate of "${id}" has the cRLSign key usage, which a leaf must not have`);
  }
  checkCriticalExtensions(leaf, `the leaf certificate of "${id}"`);
  return id;
}

/** @throws {X509SvidError} `ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION`. */
export function checkCriticalExtensions(cert: CertificateInfo, what: string): void {
  if (cert.unhandledCriticalExtensions.length > 0) {
    throw new X509SvidError(
      "ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION",
      `${what} has critical extension(s) ${cert.unhandledCriticalExtensions.join(", ")} that the SDK does not process (RFC 5280 §4.2 requires rejecting it)`,
    );
  }
}

/** The reason an issuing certificate is not a usable CA, or undefined. */
export function caProblem(cert: CertificateInfo): string | undefined {
  if (!cert.isCa) return "is not a CA (basicConstraints cA is not true)";
  if (cert.keyUsage && !cert.keyUsage.keyCertSign) return "is a CA without the keyCertSign key usage";
  return undefined;
}

/** @throws {X509SvidError} `ERR_X509_SVID_INTERMEDIATE_NOT_CA` or `ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION`. */
export function checkIntermediate(cert: CertificateInfo, index: number): void {
  const what = `intermediate certificate ${index} (serial ${cert.serialNumberHex})`;
  const problem = caProblem(cert);
  if (problem) throw new X509SvidError("ERR_X509_SVID_INTERMEDIATE_NOT_CA", `${what} ${problem}; intermediates must be CAs with keyCertSign`);
  checkCriticalExtensions(cert, what);
}

/**
 * The SDK's key policy (src/core/lib/x509/public-key.ts) for a certificate of the
 * workload's own X.509-SVID: a key that every peer running this SDK would refuse is refused
 * when the SVID is parsed, so a source keeps its last good SVID instead of presenting it.
 *
 * @throws {X509SvidError} `ERR_X509_SVID_PUBLIC_KEY`.
 */
export function checkKeyPolicy(cert: CertificateInfo, index: number): void {
  if (!cert.publicKey.problem) return;
  const what = index === 0 ? "the leaf certificate" : `intermediate certificate ${index}`;
  throw new X509SvidError("ERR_X509_SVID_PUBLIC_KEY", `${what} (serial ${cert.serialNumberHex}) has a key that peers refuse: ${cert.publicKey.problem}`);
}

/**
 * The validity-window problem of `cert` at `now`, or undefined when `now` is within
 * [notBefore, notAfter] (both inclusive, RFC 5280 §4.1.2.5).
 */
export function validityProblem(cert: CertificateInfo, now: Date, what: string): X509SvidError | undefined {
  if (now.getTime() < cert.notBefore.getTime()) {
    return new X509SvidError("ERR_X509_SVID_NOT_YET_VALID", `${what} is not valid before ${cert.notBefore.toISOString()} (now is ${now.toISOString()})`);
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    return new X509SvidError("ERR_X509_SVID_EXPIRED", `${what} expired at ${cert.notAfter.toISOString()} (now is ${now.toISOString()})`);
  }
  return undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
