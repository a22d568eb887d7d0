import * as pkijs from "pkijs";
import { resolveX509Bundle, type X509BundleSourceLike } from "../../bundle/x509-bundle-source.ts";
import { parsedAuthoritiesOf } from "../../bundle/x509-bundle.ts";
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import { bytesEqual } from "../../lib/bytes.ts";
import type { CertificateInfo } from "../../lib/certificate.ts";
import type { SpiffeId } from "../../spiffeid/spiffe-id.ts";
import type { TrustDomain } from "../../spiffeid/trust-domain.ts";
import { caProblem, checkCriticalExtensions, checkIntermediate, checkLeaf, validityProblem } from "./leaf-rules.ts";
import { type ChainInput, readChain } from "./read-chain.ts";
import { isSignedBy } from "./signature.ts";

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

/** Path building gives up after this many issuer lookups (loops, or a flood of candidate issuers). */
const MAX_ISSUER_LOOKUPS = 64;
/** Signature checks started together before path building (the rest are made on demand). */
const MAX_EARLY_CHECKS = 8;

/** Signature algorithms that are refused: MD5 and SHA-1 based (collisions are practical). */
const WEAK_SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set([
  "1.2.840.113549.1.1.4", // md5WithRSAEncryption
  "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
  "1.2.840.10045.4.1", // ecdsa-with-SHA1
  "1.2.840.10040.4.3", // dsa-with-sha1
  "1.3.14.3.2.29", // sha1WithRSASignature (OIW)
]);

/**
 * Verifies a peer's X.509-SVID chain against the X.509 bundle of the peer's own trust domain
 * (X509-SVID spec §5: RFC 5280 path validation plus the SPIFFE leaf rules) and returns the
 * peer's SPIFFE ID.
 *
 * The chain is untrusted input, leaf first: PEM, concatenated DER, or an array of DER
 * certificates. Intermediates may come in any order; extra, duplicate or unrelated
 * certificates are ignored; a root sent by the peer is never a trust anchor. Only the bundle
 * of the leaf's trust domain is used (never another trust domain's, never system roots).
 * Checks: exactly one URI SAN holding a SPIFFE ID with a path; the leaf is not a CA and has
 * neither `keyCertSign` nor `cRLSign`; every certificate of the path is within its validity
 * window at `now`; every signature; intermediates are CAs with `keyCertSign`;
 * `pathLenConstraint`s; name constraints; no unprocessed critical extension; no MD5/SHA-1
 * signature; at most 16 certificates.
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
 *   `ERR_X509_SVID_CHAIN_TOO_LONG`, `ERR_X509_SVID_INVALID_ARGUMENT`), leaf
 *   (`ERR_X509_SVID_NO_URI_SAN`, `ERR_X509_SVID_MULTIPLE_URI_SANS`,
 *   `ERR_X509_SVID_INVALID_SPIFFE_ID`, `ERR_X509_SVID_NO_PATH`, `ERR_X509_SVID_LEAF_IS_CA`,
 *   `ERR_X509_SVID_LEAF_KEY_CERT_SIGN`, `ERR_X509_SVID_LEAF_CRL_SIGN`,
 *   `ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION`), or chain (`ERR_X509_SVID_NO_BUNDLE`,
 *   `ERR_X509_SVID_EXPIRED`, `ERR_X509_SVID_NOT_YET_VALID`, `ERR_X509_SVID_INTERMEDIATE_NOT_CA`,
 *   `ERR_X509_SVID_PATH_LENGTH`, `ERR_X509_SVID_NAME_CONSTRAINTS`, `ERR_X509_SVID_UNTRUSTED`).
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
  const bundle = resolveX509Bundle(bundleSource, id.trustDomain);
  const leafProblem = validityProblem(leaf, now, `the leaf certificate of "${id}"`);
  if (leafProblem) throw leafProblem;
  const path = await buildPath(leaf, certs.slice(1), parsedAuthoritiesOf(bundle), now, id.trustDomain);
  return { id, verifiedChain: path.map((c) => c.der.slice()) };
}

function checkNow(now: unknown): Date {
  if (now === undefined) return new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new X509SvidError("ERR_X509_SVID_INVALID_ARGUMENT", "options.now must be a valid Date");
  }
  return now;
}

function untrusted(td: TrustDomain, why: string, cause?: unknown): X509SvidError {
  return new X509SvidError(
    "ERR_X509_SVID_UNTRUSTED",
    `the chain does not lead to an authority of the X.509 bundle of "${td.name}": ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Builds and validates the path leaf → peer intermediates → bundle authority with pkijs, then
 * applies what pkijs leaves out (pathLenConstraint, critical extensions, precise errors).
 */
async function buildPath(
  leaf: CertificateInfo,
  peerCerts: readonly CertificateInfo[],
  roots: readonly CertificateInfo[],
  now: Date,
  td: TrustDomain,
): Promise<CertificateInfo[]> {
  if (roots.length === 0) throw untrusted(td, "the bundle has no authorities");
  const infoOf = new Map<pkijs.Certificate, CertificateInfo>();
  const trusted = new Set<pkijs.Certificate>();
  for (const r of roots) {
    infoOf.set(r.pkijs, r);
    trusted.add(r.pkijs);
  }
  // pkijs de-duplicates by TBS and takes the LAST certificate as the leaf: keep the leaf
  // unique and last, and drop peer copies of authorities and repeated intermediates.
  const seen: Uint8Array[] = roots.map((r) => r.pkijs.tbsView);
  if (seen.some((t) => bytesEqual(t, leaf.pkijs.tbsView))) throw untrusted(td, "the leaf is itself a bundle authority");
  seen.push(leaf.pkijs.tbsView);
  const intermediates: CertificateInfo[] = [];
  for (const c of peerCerts) {
    if (seen.some((t) => bytesEqual(t, c.pkijs.tbsView))) continue;
    seen.push(c.pkijs.tbsView);
    intermediates.push(c);
    infoOf.set(c.pkijs, c);
  }
  infoOf.set(leaf.pkijs, leaf);

  // Issuer candidates that were signature-valid but unusable, for a precise error.
  const rejected: X509SvidError[] = [];
  let lookups = 0;
  const candidates = [...roots, ...intermediates];
  // Signature checks by (subject, issuer) pair. The checks a valid path needs are started
  // together up front (Web Crypto runs them concurrently), then pkijs' path building asks
  // for them one at a time through findIssuer.
  const checks = new Map<CertificateInfo, Map<CertificateInfo, Promise<boolean>>>();
  const signedBy = (subject: CertificateInfo, issuer: CertificateInfo): Promise<boolean> => {
    let perSubject = checks.get(subject);
    if (!perSubject) checks.set(subject, (perSubject = new Map()));
    let check = perSubject.get(issuer);
    if (!check) perSubject.set(issuer, (check = isSignedBy(subject, issuer)));
    return check;
  };
  const issuersByName = (cert: CertificateInfo): CertificateInfo[] =>
    // A certificate never issues itself here: a self-signed certificate that is not a
    // bundle authority ends no valid path. Names are compared as DER bytes (as Go does).
    candidates.filter((c) => c !== cert && bytesEqual(cert.issuerName, c.subjectName));
  let started = 0;
  for (const subject of [leaf, ...candidates]) {
    if (trusted.has(subject.pkijs) || WEAK_SIGNATURE_ALGORITHMS.has(subject.signatureAlgorithm.oid)) continue;
    for (const issuer of issuersByName(subject)) if (started++ < MAX_EARLY_CHECKS) void signedBy(subject, issuer);
  }
  const findIssuer: pkijs.FindIssuerCallback = async (certificate) => {
    if (++lookups > MAX_ISSUER_LOOKUPS) throw new Error("too many issuer lookups");
    const cert = infoOf.get(certificate);
    if (!cert) return [];
    if (WEAK_SIGNATURE_ALGORITHMS.has(cert.signatureAlgorithm.oid)) {
      rejected.push(untrusted(td, `a certificate is signed with a refused algorithm (${cert.signatureAlgorithm.oid}: MD5 or SHA-1)`));
      return [];
    }
    const issuers: pkijs.Certificate[] = [];
    for (const candidate of issuersByName(cert)) {
      if (!(await signedBy(cert, candidate))) continue;
      const problem = issuerProblem(candidate, trusted.has(candidate.pkijs), now, td);
      if (problem) rejected.push(problem);
      else issuers.push(candidate.pkijs);
    }
    return issuers;
  };
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: [...trusted],
    certs: [...intermediates.map((c) => c.pkijs), leaf.pkijs], // leaf LAST: pkijs validates the last certificate
    checkDate: now,
    findIssuer,
  });
  let result: pkijs.CertificateChainValidationEngineVerifyResult;
  try {
    result = await engine.verify();
  } catch (err) {
    throw untrusted(td, "path validation failed", err);
  }
  if (!result.result) {
    if (result.resultCode === 41 || result.resultCode === 42) {
      throw new X509SvidError("ERR_X509_SVID_NAME_CONSTRAINTS", `a certificate of the chain violates a name constraint (${result.resultMessage})`);
    }
    if (lookups > MAX_ISSUER_LOOKUPS) {
      throw new X509SvidError("ERR_X509_SVID_CHAIN_TOO_LONG", `path building gave up after ${MAX_ISSUER_LOOKUPS} issuer lookups (a loop, or too many candidate issuers)`);
    }
    if (rejected[0]) throw rejected[0];
    throw untrusted(td, `no valid path (${result.resultMessage})`, result.error);
  }
  return checkPath(result.certificatePath ?? [], leaf, infoOf, trusted, td);
}

/** Why `issuer` cannot issue in this path at `now`, or undefined. */
function issuerProblem(issuer: CertificateInfo, isRoot: boolean, now: Date, td: TrustDomain): X509SvidError | undefined {
  const what = isRoot ? `bundle authority (serial ${issuer.serialNumberHex})` : `intermediate certificate (serial ${issuer.serialNumberHex})`;
  const invalid = validityProblem(issuer, now, `the ${what}`);
  if (invalid) return invalid;
  const notCa = caProblem(issuer);
  if (notCa && isRoot) return untrusted(td, `the ${what} ${notCa}`);
  if (notCa) return new X509SvidError("ERR_X509_SVID_INTERMEDIATE_NOT_CA", `the ${what} ${notCa}; intermediates must be CAs with keyCertSign`);
  if (!isRoot && issuer.unhandledCriticalExtensions.length > 0) {
    try {
      checkCriticalExtensions(issuer, `the ${what}`);
    } catch (err) {
      return err as X509SvidError;
    }
  }
  return undefined;
}

/** Re-checks the path pkijs returned and enforces pathLenConstraint (RFC 5280 §6.1.4 (l), (m)). */
function checkPath(
  path: readonly pkijs.Certificate[],
  leaf: CertificateInfo,
  infoOf: ReadonlyMap<pkijs.Certificate, CertificateInfo>,
  trusted: ReadonlySet<pkijs.Certificate>,
  td: TrustDomain,
): CertificateInfo[] {
  const last = path[path.length - 1];
  if (path.length < 2 || path[0] !== leaf.pkijs || !last || !trusted.has(last)) {
    throw untrusted(td, "path validation returned an unexpected path");
  }
  const infos = path.map((c) => infoOf.get(c));
  if (infos.some((i) => i === undefined)) throw untrusted(td, "path validation returned an unknown certificate");
  const chain = infos as CertificateInfo[];
  for (let k = 1; k < chain.length - 1; k++) checkIntermediate(chain[k]!, k);
  // For the CA at index k, the intermediates below it (indices 1..k-1) that are not
  // self-issued must not outnumber its pathLenConstraint.
  let below = 0;
  for (let k = 1; k < chain.length; k++) {
    const ca = chain[k]!;
    if (ca.pathLenConstraint !== undefined && below > ca.pathLenConstraint) {
      throw new X509SvidError(
        "ERR_X509_SVID_PATH_LENGTH",
        `the ${k === chain.length - 1 ? "bundle authority" : "intermediate"} certificate (serial ${ca.serialNumberHex}) allows ${ca.pathLenConstraint} intermediate(s) below it, but the chain has ${below}`,
      );
    }
    if (!ca.pkijs.subject.isEqual(ca.pkijs.issuer)) below++;
  }
  return chain;
}

