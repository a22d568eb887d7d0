// The bound on the work one peer can cause before it is authenticated. Every verification gets
// a budget; path building and name-constraint checks spend it and fail with
// ERR_X509_SVID_VERIFICATION_LIMIT when it runs out. A valid SPIFFE chain (leaf,
// intermediates, root) spends a handful of each. Not exported from the package.
import { X509SvidError } from "../../errors/x509-svid-error.ts";

/** Signature checks per verification (a valid chain of 16 certificates needs 16; Go allows 100). */
export const MAX_SIGNATURE_CHECKS = 24;
/** Issuer candidates considered per verification (each may cost a signature check). */
export const MAX_CANDIDATE_ISSUERS = 64;
/** Complete candidate paths validated per verification. */
export const MAX_CANDIDATE_PATHS = 16;
/** Name × name-constraint comparisons per verification (Go allows 250,000). */
export const MAX_NAME_CONSTRAINT_CHECKS = 16_384;

/** Counters of one verification. */
export class VerificationBudget {
  #signatures = 0;
  #candidates = 0;
  #paths = 0;
  #nameChecks = 0;

  /** One more signature check. */
  signature(): void {
    if (++this.#signatures > MAX_SIGNATURE_CHECKS) throw limit(`more than ${MAX_SIGNATURE_CHECKS} signature checks`);
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
