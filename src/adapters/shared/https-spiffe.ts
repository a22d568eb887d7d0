// The https_spiffe bundle endpoint profile (SPIFFE Federation §5.2.2) on the SDK's TLS client
// in mode "tls": the endpoint's X.509-SVID verified against a bundle and authorized as exactly
// the configured endpoint ID, nothing presented by us. The runtime entries bind it to their
// profile as `httpsSpiffe`.
import { authorizeId } from "../../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../../core/bundle/x509-bundle-source.ts";
import { SpiffeError } from "../../core/errors/spiffe-error.ts";
import { SpiffeId } from "../../core/spiffeid/spiffe-id.ts";
import type { HttpsSpiffeProfile } from "../../federation/endpoint-profile.ts";
import { createMtlsClientWith } from "./mtls-client.ts";
import type { RuntimeProfile } from "./runtime-profile.ts";
import { ConfigError } from "../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../core/lib/describe-type.ts";

/**
 * Options of `httpsSpiffe` (SPIFFE Federation §5.2.2.2: the endpoint's SPIFFE ID, and a
 * secure way to get the bundle of its trust domain).
 *
 * Exported (as a type) from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface HttpsSpiffeOptions {
  /** The SPIFFE ID the bundle endpoint must present, e.g. `spiffe://partner.example/spire/server`. */
  readonly endpointId: SpiffeId | string;
  /**
   * The bundles the endpoint's X.509-SVID is verified with: for a self-serving endpoint, the
   * operator-supplied bundle of its trust domain (`watchBundle` then uses the latest bundle the
   * endpoint served); otherwise any source holding the endpoint's trust domain (an
   * `X509Source`, `BundleSet`, another `FederatedBundleSource`, …).
   */
  readonly bundleSource: X509BundleSourceLike;
}

/** `httpsSpiffe(options)` bound to a runtime's profile (internal). */
export function httpsSpiffeWith(runtime: RuntimeProfile, options: HttpsSpiffeOptions): HttpsSpiffeProfile {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `httpsSpiffe needs { endpointId, bundleSource }, got ${describeType(options)}`);
  let endpointId: SpiffeId;
  try {
    endpointId = options.endpointId instanceof SpiffeId ? options.endpointId : SpiffeId.parse(options.endpointId);
  } catch (cause) {
    throw new ConfigError("endpointId", `the bundle endpoint's SPIFFE ID is required (SPIFFE Federation §5.2.2.2) (${cause instanceof SpiffeError ? cause.message : describeType(options.endpointId)})`, { cause });
  }
  const bundleSource = options.bundleSource as unknown as Partial<Record<string, unknown>> | null;
  if (typeof bundleSource !== "object" || bundleSource === null || (typeof bundleSource.getX509BundleForTrustDomain !== "function" && typeof bundleSource.getForTrustDomain !== "function")) {
    throw new ConfigError("bundleSource", `must be an X.509 bundle source (an X509Bundle, SpiffeBundle, BundleSet, X509Source, …) holding the endpoint's trust domain; got ${describeType(bundleSource)}`);
  }
  const authorizer = authorizeId(endpointId);
  return {
    name: "https_spiffe",
    endpointId,
    bundleSource: options.bundleSource,
    async request<T>(url: URL, init: { signal: AbortSignal; bundleSource: X509BundleSourceLike }, read: (response: Response) => Promise<T>): Promise<T> {
      // One client per request: a bundle endpoint is read every few minutes, and each read must
      // verify the endpoint against the bundle of that moment.
      const client = createMtlsClientWith(runtime, { mode: "tls", source: init.bundleSource, authorizer, timeoutMs: 0 });
      try {
        const response = await client.fetch(url, { method: "GET", signal: init.signal, headers: { accept: "application/json" } });
        return await read(response);
      } finally {
        await client.close();
      }
    },
  };
}
