// The bound on the work one peer can cause before it is authenticated. Every verification gets
// a budget; path building and name-constraint checks spend it and fail with
// ERR_X509_SVID_VERIFICATION_LIMIT when it runs out. A valid SPIFFE chain (leaf,
// intermediates, root) spends a handful of each. Not exported from the package.
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import type { PublicKey } from "../../lib/x509/public-key.ts";

/**
 * Signature-check cost per verification, in units of one P-256 ECDSA check on the slowest
 * runtime (Deno 2.9: about 0.45 ms with a freshly imported key, as a hostile peer's chain
 * has). Each check is weighed by the issuer's key, with weights measured as absolute time on
 * Node 24, Bun 1.4 and Deno 2.9 (the slowest counts): P-384 and RSA over 3072 bits 3, P-521 4.
 * 9 units keep a hostile chain's signature work near 4 ms of CPU on every runtime and admit
 * the chains SPIFFE uses: a 3-certificate P-521 chain costs 8, a 4-certificate P-384 or
 * RSA-4096 chain 9, a P-256 chain of the longest accepted length 8.
 */
export const MAX_SIGNATURE_COST = 9;
/** Signature checks per verification, whatever their cost. */
export const MAX_SIGNATURE_CHECKS = 9;
/** Issuer candidates considered per verification (each may cost a signature check). */
export const MAX_CANDIDATE_ISSUERS = 32;
/** Complete candidate paths validated per verification. */
export const MAX_CANDIDATE_PATHS = 8;
/** Name × name-constraint comparisons per verification (Go allows 250,000; a real SVID chain needs a handful). */
export const MAX_NAME_CONSTRAINT_CHECKS = 1024;

/** The cost of one signature check with `key`, in P-256 check units (see {@link MAX_SIGNATURE_COST}). */
export function signatureCost(key: PublicKey): number {
  switch (key.kind) {
    case "ec":
      return key.curve.name === "P-256" ? 1 : key.curve.name === "P-384" ? 3 : 4;
    case "rsa":
      return key.bits <= 3072 ? 1 : 3;
    default:
      return 1;
  }
}

/** Counters of one verification. */
export class VerificationBudget {
  #signatures = 0;
  #signatureCost = 0;
  #candidates = 0;
  #paths = 0;
  #nameChecks = 0;

  /** One more signature check with `key`. */
  signature(key: PublicKey): void {
    if (++this.#signatures > MAX_SIGNATURE_CHECKS) throw limit(`more than ${MAX_SIGNATURE_CHECKS} signature checks`);
    this.#signatureCost += signatureCost(key);
    if (this.#signatureCost > MAX_SIGNATURE_COST) throw limit(`signature checks costing more than ${MAX_SIGNATURE_COST} P-256 checks`);
  }

  /** One more issuer candidate. */
  candidate(): void {
    if (++this.#candidates > MAX_CANDIDATE_ISSUERS) throw limit(`more than ${MAX_CANDIDATE_ISSUERS} candidate issuers`);
  }

  /** One more complete candidate path. */
  path(): void {
    if (++this.#paths > MAX_CANDIDATE_PATHS) throw limit(`more than ${MAX_CANDIDATE_PATHS} candidate paths`);
  }

  /** `count` more name-constraint comparisons. */
  nameChecks(count: number): void {
    this.#nameChecks += count;
    if (this.#nameChecks > MAX_NAME_CONSTRAINT_CHECKS) throw limit(`more than ${MAX_NAME_CONSTRAINT_CHECKS} name-constraint comparisons`);
  }
}

function limit(what: string): X509SvidError {
  return new X509SvidError("ERR_X509_SVID_VERIFICATION_LIMIT", `the chain needs ${what} to verify; it is refused before it costs more (the limits bound the work an unauthenticated peer can cause)`);
}
