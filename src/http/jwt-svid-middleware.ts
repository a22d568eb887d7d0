import type { JwtBundleSourceLike } from "../core/bundle/jwt-bundle-source.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { JwtSvidError } from "../core/errors/jwt-svid-error.ts";
import type { Logger } from "../core/logger.ts";
import { JwtSvid, MAX_CLOCK_SKEW_SECONDS } from "../core/svid/jwt/jwt-svid.ts";
import type { Middleware } from "./middleware.ts";
import { attachPeerIdentity, getPeerIdentity } from "./peer-identity.ts";

/**
 * Options of {@link requireJwtSvid}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface RequireJwtSvidOptions {
  /** The JWT bundles to validate with: a `JwtSource`, `BundleSource`, `JwtBundle`, `BundleSet`... */
  readonly source: JwtBundleSourceLike;
  /** The name(s) this service identifies with; a token must be for one of them. Required. */
  readonly audience: string | readonly string[];
  /** Leeway for `exp`/`nbf`, seconds. Default 30, at most 300. */
  readonly clockSkewSeconds?: number;
  /** Clock, for tests. Default: the system clock. */
  readonly now?: () => Date;
  /** Receives one `warn` per refused token with its `code` (never the token). Silent by default. */
  readonly logger?: Logger;
}

/** RFC 6750 §2.1: `Bearer` (any case), spaces, then a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Authenticates the caller by the JWT-SVID in `Authorization: Bearer <token>` (JWT-SVID spec
 * §5.2), validated with `JwtSvid.parseAndValidate` against `source` for `audience`. On
 * success the request carries the caller's identity (`getPeerIdentity(request)` with
 * `mechanism: "jwt-svid"`; an identity set before, e.g. by mTLS, is kept as its `transport`,
 * so the handler can check both the token's subject and the connection's workload) and the handler
 * runs; otherwise the answer is `401` JSON with `WWW-Authenticate: Bearer` (RFC 6750 §3) and
 * no detail of why (the `logger` gets the code).
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { composeMiddleware, getSpiffeId, JwtSource, requireJwtSvid, requireTrustDomain } from "@spiffe-ts/sdk/node";
 * const source = await JwtSource.create();
 * const handler = composeMiddleware(
 *   requireJwtSvid({ source, audience: "spiffe://example.org/api" }),
 *   requireTrustDomain("example.org"),
 * )((request) => new Response(`hello ${getSpiffeId(request)}`));
 * ```
 *
 * @throws {ConfigError} at creation for a missing source, an empty audience or a bad option.
 */
export function requireJwtSvid(options: RequireJwtSvidOptions): Middleware {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `requireJwtSvid needs an options object with source and audience, got ${describeType(options)}`);
  const { source, audience, clockSkewSeconds, now, logger } = options;
  const s = source as { getJwtBundleForTrustDomain?: unknown; getForTrustDomain?: unknown } | null | undefined;
  if (typeof s !== "object" || s === null || (typeof s.getJwtBundleForTrustDomain !== "function" && typeof s.getForTrustDomain !== "function")) {
    throw new ConfigError("source", "must provide getJwtBundleForTrustDomain(td), e.g. a JwtSource from JwtSource.create()");
  }
  const list = typeof audience === "string" ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === "string" && a !== "")) {
    throw new ConfigError("audience", "must be a non-empty string or a non-empty array of non-empty strings");
  }
  const expected: readonly string[] = [...list];
  if (clockSkewSeconds !== undefined && !(typeof clockSkewSeconds === "number" && clockSkewSeconds >= 0 && clockSkewSeconds <= MAX_CLOCK_SKEW_SECONDS)) {
    throw new ConfigError("clockSkewSeconds", `must be a number from 0 to ${MAX_CLOCK_SKEW_SECONDS}`);
  }
  if (now !== undefined && typeof now !== "function") throw new ConfigError("now", "must be a function returning a Date");
  if (logger !== undefined && (typeof logger !== "object" || logger === null)) throw new ConfigError("logger", "must be an object with warn()");

  return (next) => async (request, context) => {
    const header = request.headers.get("authorization");
    if (header === null) return unauthorized(false);
    const match = BEARER.exec(header);
    if (!match) {
      logger?.warn?.("requireJwtSvid: refused a request", { reason: "the Authorization header is not a Bearer token" });
      return unauthorized(true);
    }
    let svid: JwtSvid;
    try {
      svid = await JwtSvid.parseAndValidate(match[1]!, source, expected, { now: now?.(), clockSkewSeconds });
    } catch (err) {
      if (!(err instanceof JwtSvidError)) throw err;
      logger?.warn?.("requireJwtSvid: refused a JWT-SVID", { code: err.code });
      return unauthorized(true);
    }
    const transport = getPeerIdentity(request);
    attachPeerIdentity(request, { id: svid.id, mechanism: "jwt-svid", certificates: [], ...(transport ? { transport } : {}) });
    return next(request, context);
  };
}

/** `401` JSON without internals; `error="invalid_token"` when a token was presented (RFC 6750 §3.1). */
function unauthorized(presented: boolean): Response {
  return Response.json(
    { error: "unauthenticated", message: "this endpoint requires a valid JWT-SVID in the Authorization header (Bearer)" },
    { status: 401, headers: { "cache-control": "no-store", "www-authenticate": presented ? 'Bearer error="invalid_token"' : "Bearer" } },
  );
}
