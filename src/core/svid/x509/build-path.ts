// Path building (RFC 4158 in spirit): a depth-first search from the leaf through the peer's
// intermediates to a bundle authority, trying EVERY candidate path until one validates, within
// the verification budget. Issuers are matched by exact Name bytes (as Go does); candidates
// whose subjectKeyIdentifier matches the child's authorityKeyIdentifier are tried first,
// bundle authorities before intermediates (shortest paths first). A signature is checked once
// per (certificate, issuer key) pair, so issuers sharing a key cost one check. Not exported.
import type { CertificateInfo } from "../../lib/certificate.ts";
import { bytesEqual } from "../../lib/bytes.ts";
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import { isSignedBy, issuerKeyProblem, keyFitsScheme, signatureSchemeOfCertificate } from "./signature.ts";
import type { VerificationBudget } from "./verification-budget.ts";

/** What path building needs from its caller. */
export interface PathSearch {
  readonly leaf: CertificateInfo;
  /** The peer's other certificates (untrusted, deduplicated, never anchors). */
  readonly intermediates: readonly CertificateInfo[];
  /** The bundle authorities of the leaf's trust domain. */
  readonly anchors: readonly CertificateInfo[];
  /** Most certificates a path may have (leaf and anchor included). */
  readonly maxLength: number;
  readonly budget: VerificationBudget;
  /** Validates one complete path (leaf first, anchor last); throws its reason. */
  readonly validate: (path: readonly CertificateInfo[]) => void;
  /** The error when no candidate issuer exists or verifies at all. */
  readonly untrusted: (why: string) => X509SvidError;
}

/**
 * Returns the first candidate path that validates, leaf first. Otherwise throws the most
 * telling reason: a complete path's validation failure first, then a refused algorithm or
 * key, then "untrusted".
 *
 * @throws {X509SvidError}
 */
export async function buildPath(search: PathSearch): Promise<CertificateInfo[]> {
  const { anchors, intermediates, budget } = search;
  const isAnchor = new Set(anchors);
  const candidates = [...anchors, ...intermediates];
  /** Validation failures of complete paths, then algorithm/key refusals, then bad signatures. */
  const failures: X509SvidError[][] = [[], [], []];
  const checked = new Map<CertificateInfo, Map<string, Promise<boolean>>>();

  const signed = (subject: CertificateInfo, issuer: CertificateInfo, scheme: Parameters<typeof isSignedBy>[2]): Promise<boolean> => {
    let perSubject = checked.get(subject);
    if (!perSubject) checked.set(subject, (perSubject = new Map()));
    const key = keyOf(issuer.spki);
    let check = perSubject.get(key);
    if (!check) {
      budget.signature(issuer.publicKey);
      perSubject.set(key, (check = isSignedBy(subject, issuer, scheme)));
    }
    return check;
  };

  const issuersOf = (cert: CertificateInfo, path: readonly CertificateInfo[]): CertificateInfo[] => {
    const found = candidates.filter((c) => c !== cert && !path.includes(c) && bytesEqual(cert.issuerName, c.subjectName));
    const aki = cert.authorityKeyId;
    if (!aki) return found;
    const matching = (c: CertificateInfo): boolean => c.subjectKeyId !== undefined && bytesEqual(c.subjectKeyId, aki);
    return [...found.filter(matching), ...found.filter((c) => !matching(c))];
  };

  const extend = async (path: CertificateInfo[]): Promise<CertificateInfo[] | undefined> => {
    const cert = path[path.length - 1]!;
    const what = path.length === 1 ? "the leaf certificate" : `intermediate certificate (serial ${cert.serialNumberHex})`;
    const issuers = issuersOf(cert, path);
    if (issuers.length === 0) return undefined;
    const scheme = signatureSchemeOfCertificate(cert);
    if (scheme.kind === "refused") {
      failures[1]!.push(new X509SvidError("ERR_X509_SVID_SIGNATURE_ALGORITHM", `${what} is signed with a refused algorithm: ${scheme.problem}`));
      return undefined;
    }
    for (const issuer of issuers) {
      const anchor = isAnchor.has(issuer);
      if (!anchor && path.length + 2 > search.maxLength) continue; // no room left for an anchor above it
      budget.candidate();
      const keyProblem = issuerKeyProblem(issuer);
      if (keyProblem) {
        const whose = anchor ? `bundle authority (serial ${issuer.serialNumberHex})` : `intermediate certificate (serial ${issuer.serialNumberHex})`;
        failures[1]!.push(new X509SvidError("ERR_X509_SVID_PUBLIC_KEY", `the ${whose} that would have issued ${what} has a refused key: ${keyProblem}`));
        continue;
      }
      if (!keyFitsScheme(issuer, scheme) || !(await signed(cert, issuer, scheme))) {
        failures[2]!.push(search.untrusted(`the signature of ${what} does not verify with the key of ${anchor ? "the bundle authority" : "intermediate"} (serial ${issuer.serialNumberHex})`));
        continue;
      }
      const candidatePath = [...path, issuer];
      if (anchor) {
        budget.path();
        try {
          search.validate(candidatePath);
          return candidatePath;
        } catch (err) {
          if (!(err instanceof X509SvidError) || err.code === "ERR_X509_SVID_VERIFICATION_LIMIT") throw err;
          failures[0]!.push(err);
        }
        continue;
      }
      const found = await extend(candidatePath);
      if (found) return found;
    }
    return undefined;
  };

  // The common shape — the leaf has one candidate issuer, an intermediate whose one candidate
  // issuer is a bundle authority — needs both checks for any verdict but "untrusted": they are
  // started together (Node's and Deno's Web Crypto then run them in parallel), and the search
  // below finds them in `checked`. With a fresh budget two checks always fit, so starting the
  // second early never changes which limit or error a chain meets.
  const leafIssuers = issuersOf(search.leaf, [search.leaf]);
  const intermediate = leafIssuers.length === 1 && !isAnchor.has(leafIssuers[0]!) ? leafIssuers[0]! : undefined;
  if (intermediate && search.maxLength >= 3) {
    const above = issuersOf(intermediate, [search.leaf, intermediate]);
    const anchor = above.length === 1 && isAnchor.has(above[0]!) ? above[0]! : undefined;
    const leafScheme = signatureSchemeOfCertificate(search.leaf);
    const intermediateScheme = signatureSchemeOfCertificate(intermediate);
    if (
      anchor &&
      leafScheme.kind !== "refused" &&
      intermediateScheme.kind !== "refused" &&
      !issuerKeyProblem(intermediate) &&
      !issuerKeyProblem(anchor) &&
      keyFitsScheme(intermediate, leafScheme) &&
      keyFitsScheme(anchor, intermediateScheme)
    ) {
      void signed(search.leaf, intermediate, leafScheme);
      void signed(intermediate, anchor, intermediateScheme);
    }
  }
  const path = await extend([search.leaf]);
  if (path) return path;
  const reason = failures.find((f) => f.length > 0)?.[0];
  throw reason ?? search.untrusted("no issuer of the leaf, or of an intermediate, is in the chain or the bundle");
}

// WHATWG "latin1" (windows-1252) maps each byte value to its own code point: an exact key.
// Kept per bytes object: a cached issuer's SPKI is keyed once, not at every verification.
let latin1: TextDecoder | undefined;
const keys = new WeakMap<Uint8Array, string>();
function keyOf(bytes: Uint8Array): string {
  let key = keys.get(bytes);
  if (key === undefined) {
    latin1 ??= new TextDecoder("latin1");
    keys.set(bytes, (key = latin1.decode(bytes)));
  }
  return key;
}
