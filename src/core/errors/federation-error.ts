import { SpiffeError } from "./spiffe-error.ts";

/** Why a bundle endpoint could not be read, or why a fetched bundle was refused. */
export type FederationErrorCode =
  /** The endpoint URL (or a redirect's target) is not `https:`, or carries user info (Federation spec §5.2.1.1, §5.2.2.1). */
  | "ERR_FEDERATION_ENDPOINT_URL"
  /** The endpoint could not be reached: connection refused or reset, DNS, TLS (Web PKI) failure. */
  | "ERR_FEDERATION_UNREACHABLE"
  /** No complete answer within `timeoutMs`. */
  | "ERR_FEDERATION_TIMEOUT"
  /** `https_spiffe`: the endpoint's certificate is not a valid X.509-SVID of a trust domain in the bundle source. */
  | "ERR_FEDERATION_ENDPOINT_UNTRUSTED"
  /** `https_spiffe`: the endpoint presented a valid X.509-SVID, but not for the expected endpoint SPIFFE ID. */
  | "ERR_FEDERATION_ENDPOINT_ID_MISMATCH"
  /** The endpoint answered with an HTTP status other than 200 (`status` says which). */
  | "ERR_FEDERATION_HTTP_STATUS"
  /** Too many redirects, or a redirect the profile cannot follow. */
  | "ERR_FEDERATION_REDIRECT"
  /** The bundle document is larger than `maxBytes`. */
  | "ERR_FEDERATION_TOO_LARGE"
  /** The body is not a valid SPIFFE bundle (the `BundleError` is the `cause`). */
  | "ERR_FEDERATION_INVALID_BUNDLE"
  /** An X.509 authority of the bundle names another trust domain than the one configured for the endpoint. */
  | "ERR_FEDERATION_TRUST_DOMAIN_MISMATCH"
  /** A watched endpoint served a different bundle with a lower `spiffe_sequence` than the one held (a rollback). */
  | "ERR_FEDERATION_SEQUENCE_BACKWARDS"
  /** The bundle endpoint handler's source has no bundle of its trust domain to serve. */
  | "ERR_FEDERATION_NO_BUNDLE"
  /** The watch or source was closed. */
  | "ERR_FEDERATION_CLOSED";

/**
 * A SPIFFE bundle endpoint (SPIFFE Federation) could not be read, or what it served was
 * refused. `url` is the endpoint, `status` the HTTP status when there was one.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { FederationError, fetchBundle } from "@spiffe-ts/sdk";
 * try {
 *   await fetchBundle("https://partner.example/bundle", { trustDomain: "partner.example", profile: "https_web" });
 * } catch (err) {
 *   if (err instanceof FederationError && err.code === "ERR_FEDERATION_HTTP_STATUS") console.log(err.status);
 * }
 * ```
 */
export class FederationError extends SpiffeError<FederationErrorCode> {
  /** The bundle endpoint URL, when the error concerns one. */
  readonly url: string | undefined;
  /** The HTTP status, for `ERR_FEDERATION_HTTP_STATUS`. */
  readonly status: number | undefined;

  /**
   * Creates the error for a refused argument, an unusable or untrusted bundle endpoint, or a bad bundle.
   *
   * @param code Why the federation step failed.
   * @param message What failed and what to do.
   * @param options `cause`: the underlying error; `url`: the bundle endpoint; `status`: the HTTP status.
   */
  constructor(code: FederationErrorCode, message: string, options?: { cause?: unknown; url?: string; status?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.url = options?.url;
    this.status = options?.status;
  }
}
