// Option checks shared by the server and client sides of src/tls (and the adapters built on
// them): each names the option and says what would fit. Internal.
import type { Authorizer } from "../core/authz/authorizer.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { type Refuse, refuseOption } from "../core/lib/refuse.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import { type SpiffeTlsMode, TLS_MODES } from "../http/tls-mode.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** A source of the workload's own X.509-SVID (`getX509Svid()`); `refuse` makes the error (default: option `source`). */
export function checkSvidSource(source: unknown, refuse: Refuse = refuseOption): void {
  if (!isObject(source) || typeof source.getX509Svid !== "function") {
    throw refuse("source", "must provide getX509Svid(), e.g. an X509Source from X509Source.create()");
  }
}

/** A source of X.509 bundles (`getX509BundleForTrustDomain(td)` or a bundle set's `getForTrustDomain(td)`); `refuse` as above. */
export function checkBundleSource(source: unknown, refuse: Refuse = refuseOption): void {
  if (!isObject(source) || (typeof source.getX509BundleForTrustDomain !== "function" && typeof source.getForTrustDomain !== "function")) {
    throw refuse("source", "must provide getX509BundleForTrustDomain(td) to verify peers, e.g. an X509Source");
  }
}

/** An authorizer; `hint` lists what fits, `refuse` makes the error (default: option `authorizer`). */
export function checkAuthorizer(authorizer: unknown, hint: string, refuse: Refuse = refuseOption): asserts authorizer is Authorizer {
  if (typeof authorizer !== "function") throw refuse("authorizer", `must be a function (${hint})`);
}

/** The stable code of an error for logs (never its message, which may quote input). */
export function errorCode(err: unknown): string {
  if (err instanceof SpiffeError) return err.code;
  return err instanceof Error ? err.name : typeof err;
}

/** The mode, `"mtls"` when not given. */
export function checkMode(mode: unknown): SpiffeTlsMode {
  const m = mode ?? "mtls";
  if (!TLS_MODES.includes(m as SpiffeTlsMode)) throw new ConfigError("mode", `must be one of ${TLS_MODES.map((t) => `"${t}"`).join(", ")}, got ${JSON.stringify(mode)}`);
  return m as SpiffeTlsMode;
}
