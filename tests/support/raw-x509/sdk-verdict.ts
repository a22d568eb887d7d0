// The SDK's verdict on a case input: verifyX509Svid against X509Bundle.fromCertificates, as a
// plain value (accept + ID, or the error code), so tests and the differential compare verdicts.
import { X509Bundle } from "../../../src/core/bundle/x509-bundle.ts";
import { SpiffeError } from "../../../src/core/errors/spiffe-error.ts";
import { verifyX509Svid } from "../../../src/core/svid/x509/verify-x509-svid.ts";
import type { CaseInput } from "./cases/case.ts";

/** The outcome of one verification by the SDK. */
export type SdkVerdict =
  | { readonly accept: true; readonly id: string }
  /** `code` is the SpiffeError code (a BundleError one when the bundle itself was refused), or `THROWN <name>` for anything else. */
  | { readonly accept: false; readonly code: string; readonly message: string };

/** Verifies `input` with the SDK; never throws. */
export async function sdkVerdict(input: CaseInput): Promise<SdkVerdict> {
  try {
    const bundle = X509Bundle.fromCertificates(input.trustDomain, input.bundle);
    const { id } = await verifyX509Svid(input.chain, bundle, { now: input.now });
    return { accept: true, id: id.toString() };
  } catch (err) {
    if (err instanceof SpiffeError) return { accept: false, code: err.code, message: err.message };
    const e = err instanceof Error ? err : new Error(String(err));
    return { accept: false, code: `THROWN ${e.name}`, message: e.message };
  }
}

/** "accept" or the code, for messages and counts. */
export function verdictText(v: SdkVerdict): string {
  return v.accept ? "accept" : v.code;
}
