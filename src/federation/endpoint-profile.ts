import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";

/**
 * What one `https_spiffe` request needs: where to stop, and the bundles that authenticate the
 * endpoint's X.509-SVID on this connection.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface HttpsSpiffeRequestInit {
  /** Aborts the request (timeout or the caller's signal). */
  readonly signal: AbortSignal;
  /**
   * The bundles the endpoint's X.509-SVID is verified with now: the profile's own
   * `bundleSource`, or, for a self-serving endpoint that `watchBundle` already read, the
   * latest bundle it served (SPIFFE Federation §5.2.2.4).
   */
  readonly bundleSource: X509BundleSourceLike;
}

/**
 * The `https_spiffe` endpoint profile (SPIFFE Federation §5.2.2): the bundle endpoint presents
 * an X.509-SVID, verified against a bundle you already hold, and must be exactly
 * `endpointId`. Made by `httpsSpiffe({ endpointId, bundleSource })` from
 * `@spiffe-ts/sdk/node`, `/bun` or `/deno` (it needs a TLS client that exposes the server's
 * certificate chain, which Web `fetch` does not); `fetchBundle`, `watchBundle` and
 * `FederatedBundleSource` take it as their `profile`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface HttpsSpiffeProfile {
  /** The profile's name in the SPIFFE federation spec. */
  readonly name: "https_spiffe";
  /** The SPIFFE ID the bundle endpoint must present. */
  readonly endpointId: SpiffeId;
  /** The bundles that authenticate the endpoint (the bootstrap bundle of a self-serving endpoint). */
  readonly bundleSource: X509BundleSourceLike;
  /**
   * Sends `GET url` over TLS, authenticating the server as `endpointId` against
   * `init.bundleSource` before any byte is sent, hands the response to `read` and resolves
   * with its result, then releases the connection. Redirects are returned, not followed.
   *
   * @throws {X509SvidError} when the server's certificate is not a valid X.509-SVID of a trust domain in the bundle source.
   * @throws {AuthorizationError} when it is valid but for another SPIFFE ID.
   */
  request<T>(url: URL, init: HttpsSpiffeRequestInit, read: (response: Response) => Promise<T>): Promise<T>;
}

/**
 * How a bundle endpoint is authenticated (SPIFFE Federation §5.2): `"https_web"` (Web PKI:
 * the runtime's `fetch` checks the certificate against its public roots and the host name)
 * or an {@link HttpsSpiffeProfile} (`httpsSpiffe(...)` from a runtime entry). Never inferred
 * from the URL (§7.2), and never one tried after the other.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type BundleEndpointProfile = "https_web" | HttpsSpiffeProfile;
