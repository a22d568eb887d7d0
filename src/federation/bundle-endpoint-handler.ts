import { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { JwtBundleSourceLike } from "../core/bundle/jwt-bundle-source.ts";
import { SpiffeBundle } from "../core/bundle/spiffe-bundle.ts";
import { X509Bundle } from "../core/bundle/x509-bundle.ts";
import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import { FederationError } from "../core/errors/federation-error.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import type { Logger } from "../core/logger.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { encodeBase64Url } from "../core/lib/base64url.ts";
import { ClockSequence } from "./bundle-sequence.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";

/**
 * Where a bundle endpoint gets the bundle it serves: any X.509 and/or JWT bundle source (an
 * `X509Source`, `BundleSource`, `BundleSet`, `SpiffeBundle`, `FederatedBundleSource`, …).
 * A source whose `getForTrustDomain` returns a `SpiffeBundle` is served with that bundle's own
 * `spiffe_sequence` and `spiffe_refresh_hint`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type BundleEndpointSource = X509BundleSourceLike | JwtBundleSourceLike;

/**
 * Options of {@link createBundleEndpointHandler}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface BundleEndpointHandlerOptions {
  /** The trust domain whose bundle is served. */
  readonly trustDomain: TrustDomain | string;
  /** Where the bundle comes from, looked up on every request. */
  readonly source: BundleEndpointSource;
  /** `spiffe_refresh_hint` (seconds) when the source's bundle has none. Default 300. */
  readonly refreshHintSeconds?: number;
  /** `Cache-Control: public, max-age=N` for shared caches (a CDN); 0 (the default) sends `no-cache`, so caches revalidate with the `ETag`. */
  readonly maxAgeSeconds?: number;
  /** Source failures (error). Silent by default. */
  readonly logger?: Logger;
  /** Clock of the `spiffe_sequence` numbering, for tests. */
  readonly now?: () => Date;
}

/** A Web request handler: `(request) => Response`. */
export type BundleEndpointHandler = (request: Request) => Promise<Response>;

const DEFAULT_REFRESH_HINT_SECONDS = 300;

/**
 * A SPIFFE bundle endpoint (SPIFFE Federation §5, go-spiffe's `federation.NewHandler`) as a
 * Web handler, for `Bun.serve`, `Deno.serve`, a Worker's `fetch`, `serveMtls` in mode
 * `"tls"` (the `https_spiffe` profile: the server presents its X.509-SVID, callers present
 * nothing), or any framework that speaks `Request`/`Response`.
 *
 * `GET` (and `HEAD`) on any path answers `200` with the current bundle of `trustDomain` as a
 * SPIFFE bundle document (`x509-svid` and `jwt-svid` keys, `spiffe_sequence`,
 * `spiffe_refresh_hint`), `Content-Type: application/json`, an `ETag` (a matching
 * `If-None-Match` gets `304`), `Cache-Control` (see `maxAgeSeconds`) and
 * `Access-Control-Allow-Origin: *` (bundles are public, §5.2.1.3; browsers may read them).
 * Other methods get `405`; a source with no bundle (or failing) gives `503` and a logged
 * error, never a partial bundle. When the source's bundle has no `spiffe_sequence`, the handler
 * numbers each new content with the clock (Unix seconds, always increasing), so clients can
 * refuse rollbacks. Route it to the path of your endpoint URL yourself.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example Serve the workload's own trust domain bundle with Deno.serve
 * ```ts
 * import { BundleSource, createBundleEndpointHandler } from "@spiffe-ts/sdk/deno";
 * const source = await BundleSource.create();
 * const handler = createBundleEndpointHandler({ trustDomain: "example.org", source });
 * Deno.serve({ port: 8443, cert, key }, handler); // https_web: a Web-PKI certificate
 * ```
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` naming a refused option (`"options"` when
 *   `options` is not an object).
 */
export function createBundleEndpointHandler(options: BundleEndpointHandlerOptions): BundleEndpointHandler {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `createBundleEndpointHandler needs { trustDomain, source }, got ${describeType(options)}`);
  let trustDomain: TrustDomain;
  try {
    trustDomain = options.trustDomain instanceof TrustDomain ? options.trustDomain : TrustDomain.parse(options.trustDomain);
  } catch (cause) {
    throw new ConfigError("trustDomain", `required, a valid trust domain (${cause instanceof SpiffeError ? cause.message : describeType(options.trustDomain)})`, { cause });
  }
  const source = options.source as Partial<Record<"getForTrustDomain" | "getX509BundleForTrustDomain" | "getJwtBundleForTrustDomain", unknown>> | null;
  if (typeof source !== "object" || source === null || !["getForTrustDomain", "getX509BundleForTrustDomain", "getJwtBundleForTrustDomain"].some((m) => typeof source[m as keyof typeof source] === "function")) {
    throw new ConfigError("source", `must be a bundle source (getX509BundleForTrustDomain, getJwtBundleForTrustDomain or getForTrustDomain), e.g. an X509Source, BundleSource or BundleSet; got ${describeType(source)}`);
  }
  const refreshHint = nonNegativeInteger(options.refreshHintSeconds, "refreshHintSeconds", DEFAULT_REFRESH_HINT_SECONDS);
  const maxAge = nonNegativeInteger(options.maxAgeSeconds, "maxAgeSeconds", 0);
  const now = typeof options.now === "function" ? options.now : () => new Date();
  const sequence = new ClockSequence(now);
  const logger = options.logger;
  const cacheControl = maxAge > 0 ? `public, max-age=${maxAge}` : "no-cache";
  let cached: { json: string; etag: string } | undefined;

  return async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed: a SPIFFE bundle endpoint answers GET\n", { status: 405, headers: { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" } });
    }
    let bundle: SpiffeBundle;
    try {
      bundle = currentBundle(options.source, trustDomain);
    } catch (err) {
      logger?.error?.("SPIFFE bundle endpoint: no bundle to serve", { trustDomain: trustDomain.name, code: err instanceof SpiffeError ? err.code : "ERR_UNKNOWN", message: err instanceof Error ? err.message : String(err) });
      return new Response(`no bundle of "${trustDomain.name}" to serve right now\n`, { status: 503, headers: { "retry-after": "30", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" } });
    }
    const served = SpiffeBundle.fromBundles(trustDomain, {
      x509: bundle.x509Bundle,
      jwt: bundle.jwtBundle,
      sequenceNumber: bundle.sequenceNumber ?? sequence.of(bundle),
      refreshHintSeconds: bundle.refreshHintSeconds ?? refreshHint,
    });
    const json = served.toJson();
    if (cached?.json !== json) cached = { json, etag: await etagOf(json) };
    const headers = {
      "content-type": "application/json",
      "cache-control": cacheControl,
      etag: cached.etag,
      "access-control-allow-origin": "*",
      "x-content-type-options": "nosniff",
    };
    if (matches(request.headers.get("if-none-match"), cached.etag)) return new Response(null, { status: 304, headers });
    return new Response(request.method === "HEAD" ? null : json, { status: 200, headers });
  };
}

/**
 * The bundle of `td` in `source`: a `SpiffeBundle` it holds, or one assembled from its X.509
 * and JWT bundles.
 *
 * @throws the source's error, or a FederationError when it has neither part.
 */
function currentBundle(source: BundleEndpointSource, td: TrustDomain): SpiffeBundle {
  const s = source as unknown as Record<string, ((td: TrustDomain) => unknown) | undefined>;
  const generic = typeof s.getForTrustDomain === "function" ? s.getForTrustDomain.call(source, td) : undefined;
  if (generic instanceof SpiffeBundle) return own(generic, td);
  const x509 = typeof s.getX509BundleForTrustDomain === "function" ? s.getX509BundleForTrustDomain.call(source, td) : generic;
  const jwt = typeof s.getJwtBundleForTrustDomain === "function" ? s.getJwtBundleForTrustDomain.call(source, td) : generic;
  const x509Part = x509 instanceof X509Bundle ? own(x509, td) : undefined;
  const jwtPart = jwt instanceof JwtBundle ? own(jwt, td) : undefined;
  if (!x509Part && !jwtPart) throw new FederationError("ERR_FEDERATION_NO_BUNDLE", `the source has no X.509 or JWT bundle of "${td.name}"`);
  return SpiffeBundle.fromBundles(td, { x509: x509Part, jwt: jwtPart });
}

/** `bundle` if it belongs to `td` (a source must never make us serve another trust domain's keys). */
function own<B extends { readonly trustDomain: TrustDomain }>(bundle: B, td: TrustDomain): B {
  if (!bundle.trustDomain.equals(td)) throw new FederationError("ERR_FEDERATION_TRUST_DOMAIN_MISMATCH", `the source returned a bundle of "${bundle.trustDomain.name}" when asked for "${td.name}"`);
  return bundle;
}

async function etagOf(json: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(json)));
  return `"${encodeBase64Url(digest.subarray(0, 18))}"`;
}

function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}

function nonNegativeInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new ConfigError(name, `must be a non-negative integer, got ${typeof value === "number" ? value : describeType(value)}`);
  return value;
}
