import { resolveX509Bundle, type X509BundleSourceLike } from "../../bundle/x509-bundle-source.ts";
import { parsedAuthoritiesOf } from "../../bundle/x509-bundle.ts";
import { InvalidArgumentError } from "../../errors/invalid-argument-error.ts";
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import { describeType } from "../../lib/describe-type.ts";
import { bytesEqual } from "../../lib/bytes.ts";
import type { CertificateInfo } from "../../lib/certificate.ts";
import type { SpiffeId } from "../../spiffeid/spiffe-id.ts";
import { buildPath } from "./build-path.ts";
import { checkLeaf, validityProblem } from "./leaf-rules.ts";
import { type ChainInput, MAX_CHAIN_CERTIFICATES, readChain } from "./read-chain.ts";
import { validatePath } from "./validate-path.ts";
import { VerificationBudget } from "./verification-budget.ts";

/** Options of {@link verifyX509Svid}. */
export interface VerifyX509SvidOptions {
  /** The time at which every certificate must be valid. Default: the current time. */
  now?: Date;
}

/** The result of {@link verifyX509Svid}. */
export interface VerifiedX509Svid {
  /** The peer's verified SPIFFE ID. */
  id: SpiffeId;
  /** The chain that was verified, DER, leaf first, ending with the bundle authority. */
  verifiedChain: Uint8Array[];
}

/**
 * Verifies a peer's X.509-SVID chain against the X.509 bundle of the peer's own trust domain
 * (X509-SVID spec §5: RFC 5280 path validation plus the SPIFFE leaf rules) and returns the
 * peer's SPIFFE ID.
 *
 * The chain is untrusted input, leaf first: PEM, concatenated DER, or an array of DER
 * certificates. Intermediates may come in any order; extra, duplicate or unrelated
 * certificates are ignored; a root sent by the peer is never a trust anchor. Only the bundle
 * of the leaf's trust domain is used (never another trust domain's, never system roots).
 * Checks (each from RFC 5280 §6.1 or the SPIFFE X509-SVID spec; see docs/security.md):
 * - the leaf: exactly one URI SAN holding a SPIFFE ID with a path; not a CA; neither
 *   `keyCertSign` nor `cRLSign`;
 * - every certificate: strict DER and RFC 5280 structure; a key the policy accepts (RSA
 *   2048–4096 bits with an odd exponent up to 65537, EC P-256/P-384/P-521 with the point on
 *   its curve, Ed25519); a signature algorithm it accepts (ECDSA, RSA PKCS #1 v1.5 or RSA-PSS
 *   with SHA-256/384/512, Ed25519; never MD5 or SHA-1, whatever identifier carries them);
 * - the path to a bundle authority: every signature; every certificate within its validity
 *   window at `now`; issuers are CAs with `keyCertSign`; `pathLenConstraint`s; name
 *   constraints (of the bundle authority too); certificate policies; no unprocessed
 *   critical extension. Every candidate path is tried, within fixed caps on the work
 *   (at most 64 KiB and 8 certificates of input, 9 signature checks weighing at most 9
 *   P-256 checks, 32 candidate issuers, 8 candidate paths, 1,024 name-constraint comparisons).
 *
 * Authorization (which IDs may talk to you) is a separate step: see `authorizeId` and friends.
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, verifyX509Svid, X509Bundle } from "@spiffe-ts/sdk";
 * const bundle = X509Bundle.parse("example.org", bundlePem);
 * const { id, verifiedChain } = await verifyX509Svid(peerChainDer, bundle);
 * await authorizeMemberOf("example.org")(id, verifiedChain);
 * ```
 * @throws {X509SvidError} with the code of the rule that failed: input (`ERR_X509_SVID_EMPTY`,
 *   `ERR_X509_SVID_PEM`, `ERR_X509_SVID_CERTIFICATE`, `ERR_X509_SVID_TOO_LARGE`,
 *   `ERR_X509_SVID_CHAIN_TOO_LONG`), leaf
 *   (`ERR_X509_SVID_NO_URI_SAN`, `ERR_X509_SVID_MULTIPLE_URI_SANS`,
 *   `ERR_X509_SVID_INVALID_SPIFFE_ID`, `ERR_X509_SVID_NO_PATH`, `ERR_X509_SVID_LEAF_IS_CA`,
 *   `ERR_X509_SVID_LEAF_KEY_CERT_SIGN`, `ERR_X509_SVID_LEAF_CRL_SIGN`,
 *   `ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION`), or chain (`ERR_X509_SVID_NO_BUNDLE`,
 *   `ERR_X509_SVID_EXPIRED`, `ERR_X509_SVID_NOT_YET_VALID`, `ERR_X509_SVID_INTERMEDIATE_NOT_CA`,
 *   `ERR_X509_SVID_PATH_LENGTH`, `ERR_X509_SVID_NAME_CONSTRAINTS`, `ERR_X509_SVID_POLICY`,
 *   `ERR_X509_SVID_PUBLIC_KEY`, `ERR_X509_SVID_SIGNATURE_ALGORITHM`,
 *   `ERR_X509_SVID_VERIFICATION_LIMIT`, `ERR_X509_SVID_UNTRUSTED`).
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` when `options.now` is not a valid
 *   `Date` (argument `"options.now"`) or `bundleSource` has no lookup method (`"bundleSource"`).
 */
export async function verifyX509Svid(
  chain: ChainInput,
  bundleSource: X509BundleSourceLike,
  options: VerifyX509SvidOptions = {},
): Promise<VerifiedX509Svid> {
  const now = checkNow(options?.now);
  const certs = readChain(chain, "the peer's certificate chain");
  const leaf = certs[0]!;
  const id = checkLeaf(leaf);
  // The key policy, before any crypto: a refused key anywhere in what the peer sent ends it.
  certs.forEach((c, i) => {
    if (c.publicKey.problem) {
      throw new X509SvidError("ERR_X509_SVID_PUBLIC_KEY", `the peer's certificate ${i + 1} (${i === 0 ? "leaf" : "intermediate"}) has a refused key: ${c.publicKey.problem}`);
    }
  });
  const bundle = resolveX509Bundle(bundleSource, id.trustDomain);
  const leafProblem = validityProblem(leaf, now, `the leaf certificate of "${id}"`);
  if (leafProblem) throw leafProblem;
  const td = id.trustDomain;
  const untrusted = (why: string): X509SvidError =>
    new X509SvidError("ERR_X509_SVID_UNTRUSTED", `the chain does not lead to an authority of the X.509 bundle of "${td.name}": ${why}`);
  const anchors = parsedAuthoritiesOf(bundle);
  if (anchors.length === 0) throw untrusted("the bundle has no authorities");
  // A peer copy of an authority, or a repeated intermediate, adds nothing; the leaf is never an anchor.
  const seen: Uint8Array[] = anchors.map((a) => a.tbs);
  if (seen.some((t) => bytesEqual(t, leaf.tbs))) throw untrusted("the leaf is itself a bundle authority");
  seen.push(leaf.tbs);
  const intermediates: CertificateInfo[] = [];
  for (const c of certs.slice(1)) {
    if (seen.some((t) => bytesEqual(t, c.tbs))) continue;
    seen.push(c.tbs);
    intermediates.push(c);
  }
  const budget = new VerificationBudget();
  const path = await buildPath({
    leaf,
    intermediates,
    anchors,
    maxLength: MAX_CHAIN_CERTIFICATES + 1,
    budget,
    validate: (candidate) => validatePath(candidate, now, td, budget),
    untrusted,
  });
  return { id, verifiedChain: path.map((c) => c.der.slice()) };
}

function checkNow(now: unknown): Date {
  if (now === undefined) return new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new InvalidArgumentError("options.now", `options.now must be a valid Date, got ${describeType(now)}`);
  }
  return now;
}
