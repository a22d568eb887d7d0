// Structural limits of one certificate, checked while parsing: they bound the work a hostile
// peer's chain can cause before any signature is checked (a 64 KiB chain of tiny extensions
// or names would otherwise cost tens of milliseconds to decode). Real SVIDs and CA
// certificates stay far below each. Not exported from the package.
import { DerError } from "../der-reader.ts";

/** Extensions in one certificate (real ones have about ten). */
export const MAX_EXTENSIONS = 32;
/** Entries of one GeneralNames (a subjectAltName) or of one list of name-constraint subtrees. */
export const MAX_GENERAL_NAMES = 128;
/** Attributes of one Name (subject, issuer, directoryName). */
export const MAX_NAME_ATTRIBUTES = 32;
/** Attributes of all the Names of one certificate together (subject, issuer, directoryNames in SANs and constraints). */
export const MAX_CERTIFICATE_NAME_ATTRIBUTES = 256;
/** Items of one list: certificate policies, policy mappings, policy qualifiers, extended key usages. */
export const MAX_LIST_ITEMS = 32;

/** Throws when `count` exceeds `max`. */
export function within(count: number, max: number, what: string): void {
  if (count > max) throw new DerError(`more than ${max} ${what} (a limit of the SDK; real certificates have far fewer)`);
}
