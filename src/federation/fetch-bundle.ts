import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import { MAX_BUNDLE_BYTES } from "../core/bundle/x509-bundle.ts";
import { SpiffeBundle } from "../core/bundle/spiffe-bundle.ts";
import { AuthorizationError } from "../core/errors/authorization-error.ts";
import { FederationError } from "../core/errors/federation-error.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import { X509SvidError } from "../core/errors/x509-svid-error.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { checkBundleTrustDomain } from "./bundle-trust-domain.ts";
import type { BundleEndpointProfile, HttpsSpiffeProfile } from "./endpoint-profile.ts";
import { endpointUrl } from "./endpoint-url.ts";
import { readBoundedBody } from "./read-bounded-body.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { refuseArgument } from "./refuse-option.ts";
import type { RefuseOption } from "./refuse-option.ts";

/**
 * The `fetch` that performs `https_web` requests: called with the endpoint URL and a
 * `RequestInit` (`method: "GET"`, `redirect: "follow"`, `signal`).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type WebFetch = (input: URL, init: RequestInit) => Promise<Response>;

/**
 * Options of {@link fetchBundle}. The three endpoint parameters of SPIFFE Federation §5.1
 * are the URL (the first argument), `trustDomain` and `profile`; all three are required,
 * since none can be inferred safely from another (§7.2).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface FetchBundleOptions {
  /** The trust domain the endpoint serves the bundle of; the bundle is filed under it. */
  readonly trustDomain: TrustDomain | string;
  /** How the endpoint is authenticated: `"https_web"` or `httpsSpiffe(...)` from a runtime entry. */
  readonly profile: BundleEndpointProfile;
  /** Time for the whole request, connect to last byte, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Largest bundle document accepted, bytes. Default 1 MiB, at most 8 MiB. */
  readonly maxBytes?: number;
  /** Aborts the request; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * `https_web` only: the `fetch` to use instead of `globalThis.fetch`. It must verify the
   * server by Web PKI itself (the SDK cannot see how it does): use it to trust a private CA
   * (Bun `tls.ca`, Deno `client`, an undici `dispatcher`) or, in tests, a test CA. The URL
   * rules (https, no user info) apply either way.
   */
  readonly fetch?: WebFetch;
}

/** Default of {@link FetchBundleOptions.timeoutMs}. */
export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
/** Default of {@link FetchBundleOptions.maxBytes}. */
export const DEFAULT_MAX_BUNDLE_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** {@link FetchBundleOptions} checked, with defaults applied (internal). */
export interface CheckedFetchOptions {
  readonly url: URL;
  readonly trustDomain: TrustDomain;
  readonly profile: BundleEndpointProfile;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly signal: AbortSignal | undefined;
  readonly fetch: WebFetch | undefined;
}

/**
 * Fetches the SPIFFE bundle of `trustDomain` from a bundle endpoint (SPIFFE Federation §5),
 * go-spiffe's `federation.FetchBundle`:
 * - `"https_web"`: a `GET` with the runtime's `fetch`, which authenticates the server by Web
 *   PKI (public roots and host name; never the SDK's own CAs). Works on every runtime,
 *   browsers and edge workers included. Redirects are followed; the final URL must still be a
 *   valid endpoint URL.
 * - `httpsSpiffe({ endpointId, bundleSource })` (from `@spiffe-ts/sdk/node`, `/bun`, `/deno`):
 *   the server's X.509-SVID is verified against `bundleSource` and must be `endpointId`.
 *   Redirects are followed only to servers presenting that same ID.
 *
 * The body must be a valid SPIFFE bundle (parsed by `SpiffeBundle.parse`), at most `maxBytes`,
 * within `timeoutMs`, and none of its X.509 authorities may name another trust domain.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { fetchBundle, verifyX509Svid } from "@spiffe-ts/sdk";
 * const partner = await fetchBundle("https://bundles.partner.example/bundle.json", {
 *   trustDomain: "partner.example",
 *   profile: "https_web",
 * });
 * const { id } = await verifyX509Svid(peerChain, partner); // a SpiffeBundle is a bundle source
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for invalid options, at once
 *   (`argument` names the option, e.g. `"options.trustDomain"`).
 * @throws {FederationError} with a code per failure: `ERR_FEDERATION_ENDPOINT_URL`, `ERR_FEDERATION_UNREACHABLE`, `ERR_FEDERATION_TIMEOUT`,
 *   `ERR_FEDERATION_ENDPOINT_UNTRUSTED`, `ERR_FEDERATION_ENDPOINT_ID_MISMATCH`,
 *   `ERR_FEDERATION_HTTP_STATUS`, `ERR_FEDERATION_REDIRECT`, `ERR_FEDERATION_TOO_LARGE`,
 *   `ERR_FEDERATION_INVALID_BUNDLE`, `ERR_FEDERATION_TRUST_DOMAIN_MISMATCH`.
 */
export async function fetchBundle(url: string | URL, options: FetchBundleOptions): Promise<SpiffeBundle> {
  return fetchCheckedBundle(checkFetchOptions(url, options, refuseArgument), undefined);
}

/**
 * Checks the arguments of `fetchBundle` (and of `watchBundle`, which adds its own);
 * `refuse` makes the error for a refused option.
 *
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (a `ConfigError` from `refuseOption`).
 * @throws {FederationError} `ERR_FEDERATION_ENDPOINT_URL`.
 */
export function checkFetchOptions(url: unknown, options: FetchBundleOptions, refuse: RefuseOption): CheckedFetchOptions {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `options must be { trustDomain, profile }, got ${describeType(options)}`);
  const checkedUrl = endpointUrl(url);
  let trustDomain: TrustDomain;
  try {
    trustDomain = options.trustDomain instanceof TrustDomain ? options.trustDomain : TrustDomain.parse(options.trustDomain);
  } catch (cause) {
    throw refuse("trustDomain", `the trust domain the endpoint serves is required and must be valid (${cause instanceof SpiffeError ? cause.message : describeType(options.trustDomain)})`, cause);
  }
  const profile = options.profile;
  if (profile !== "https_web" && !isHttpsSpiffeProfile(profile)) {
    throw refuse(
      "profile",
      profile === "https_spiffe"
        ? '"https_spiffe" needs the endpoint\'s SPIFFE ID and a bundle to verify it: pass httpsSpiffe({ endpointId, bundleSource }) from @spiffe-ts/sdk/node, /bun or /deno'
        : `expected "https_web" or httpsSpiffe({ endpointId, bundleSource }), got ${typeof profile === "string" ? JSON.stringify(profile) : describeType(profile)}`,
    );
  }
  if (options.fetch !== undefined) {
    if (typeof options.fetch !== "function") throw refuse("fetch", `must be a function (input, init) => Promise<Response>, got ${describeType(options.fetch)}`);
    if (profile !== "https_web") throw refuse("fetch", 'is for profile "https_web" only; https_spiffe connects with the runtime\'s SPIFFE TLS client');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw refuse("signal", `must be an AbortSignal, got ${describeType(options.signal)}`);
  return {
    url: checkedUrl,
    trustDomain,
    profile,
    timeoutMs: positiveInteger(options.timeoutMs, "timeoutMs", DEFAULT_FETCH_TIMEOUT_MS, 24 * 3_600_000, refuse),
    maxBytes: positiveInteger(options.maxBytes, "maxBytes", DEFAULT_MAX_BUNDLE_BYTES, MAX_BUNDLE_BYTES, refuse),
    signal: options.signal,
    fetch: options.fetch,
  };
}

/**
 * The bundle at `options.url`; `spiffeBundles`, when given, replaces the `https_spiffe`
 * profile's bundle source for this request (a self-serving endpoint's latest bundle).
 */
export async function fetchCheckedBundle(options: CheckedFetchOptions, spiffeBundles: X509BundleSourceLike | undefined): Promise<SpiffeBundle> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const where = options.url.href;
  let body: Uint8Array;
  try {
    body = await untilAborted(
      options.profile === "https_web" ? getWeb(options, signal) : getSpiffe(options, options.profile, signal, spiffeBundles ?? options.profile.bundleSource),
      signal,
    );
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.aborted) throw new FederationError("ERR_FEDERATION_TIMEOUT", `no complete answer from ${where} within ${options.timeoutMs} ms`, { url: where, cause: err });
    throw asFederationError(err, where);
  }
  let bundle: SpiffeBundle;
  try {
    bundle = SpiffeBundle.parse(options.trustDomain, body);
  } catch (cause) {
    const reason = cause instanceof SpiffeError ? `${cause.code}: ${cause.message}` : "unreadable";
    throw new FederationError("ERR_FEDERATION_INVALID_BUNDLE", `${where} did not serve a valid SPIFFE bundle (${reason})`, { url: where, cause });
  }
  checkBundleTrustDomain(bundle, where);
  return bundle;
}

/** `work`, or the signal's reason as soon as it aborts (a transport that ignores the signal cannot hang us). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function getWeb(options: CheckedFetchOptions, signal: AbortSignal): Promise<Uint8Array> {
  const fetchImpl: WebFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const response = await fetchImpl(options.url, { method: "GET", redirect: "follow", signal, headers: { accept: "application/json" } });
  if (response.redirected) {
    try {
      endpointUrl(response.url, `the redirect target of ${options.url.href}`);
    } catch (err) {
      await response.body?.cancel().catch(() => {});
      throw err;
    }
  }
  return bodyOf(response, options.maxBytes, response.url || options.url.href);
}

async function getSpiffe(options: CheckedFetchOptions, profile: HttpsSpiffeProfile, signal: AbortSignal, bundleSource: X509BundleSourceLike): Promise<Uint8Array> {
  let url = options.url;
  for (let hops = 0; ; hops++) {
    const result = await profile.request(url, { signal, bundleSource }, async (response): Promise<URL | Uint8Array> => {
      const location = response.headers.get("location");
      if (REDIRECT_STATUSES.has(response.status) && location !== null) {
        await response.body?.cancel().catch(() => {});
        return endpointUrl(new URL(location, url).href, `the redirect target of ${url.href}`);
      }
      return bodyOf(response, options.maxBytes, url.href);
    });
    if (result instanceof Uint8Array) return result;
    if (hops + 1 >= MAX_REDIRECTS) {
      throw new FederationError("ERR_FEDERATION_REDIRECT", `${options.url.href}: more than ${MAX_REDIRECTS} redirects`, { url: options.url.href });
    }
    url = result;
  }
}

/** The body of a 200 response, bounded; any other status is an error. */
async function bodyOf(response: Response, maxBytes: number, where: string): Promise<Uint8Array> {
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new FederationError("ERR_FEDERATION_HTTP_STATUS", `${where} answered HTTP ${response.status}, not 200 with a bundle`, { url: where, status: response.status });
  }
  return readBoundedBody(response, maxBytes, where);
}

/** A failure of the request as a FederationError, its original kept as `cause`. */
function asFederationError(err: unknown, where: string): FederationError {
  if (err instanceof FederationError) return err;
  if (err instanceof AuthorizationError) {
    return new FederationError("ERR_FEDERATION_ENDPOINT_ID_MISMATCH", `${where} presented the X.509-SVID of ${err.peerId}, not the expected bundle endpoint ID (${err.message})`, { url: where, cause: err });
  }
  if (err instanceof X509SvidError) {
    return new FederationError("ERR_FEDERATION_ENDPOINT_UNTRUSTED", `${where} did not present an X.509-SVID the bundle source trusts (${err.code}: ${err.message})`, { url: where, cause: err });
  }
  const reason = err instanceof SpiffeError ? `${err.code}: ${err.message}` : err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  return new FederationError("ERR_FEDERATION_UNREACHABLE", `could not GET ${where} (${reason})`, { url: where, cause: err });
}

/** True for an object made by a runtime entry's `httpsSpiffe(...)` (or of its shape). */
export function isHttpsSpiffeProfile(value: unknown): value is HttpsSpiffeProfile {
  const p = value as Partial<HttpsSpiffeProfile> | null;
  return typeof p === "object" && p !== null && p.name === "https_spiffe" && typeof p.request === "function" && typeof p.endpointId === "object" && typeof p.bundleSource === "object";
}

/** A positive safe integer option (at most `max`), or its default. */
export function positiveInteger(value: unknown, name: string, fallback: number, max: number, refuse: RefuseOption): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0 || value > max) {
    throw refuse(name, `must be a positive integer of at most ${max}, got ${typeof value === "number" ? value : describeType(value)}`);
  }
  return value;
}
