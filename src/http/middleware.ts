import type { Authorizer } from "../core/authz/authorizer.ts";
import { AuthorizationError } from "../core/errors/authorization-error.ts";
import type { Logger } from "../core/logger.ts";
import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { getPeerIdentity } from "./peer-identity.ts";

/**
 * A Web `fetch` handler, as `serveMtls` calls it: a `Request` in, a `Response` out. The
 * second argument is whatever the server passes (for `serveMtls`: `{ peer }`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type FetchHandler<Context = unknown> = (request: Request, context: Context) => Response | Promise<Response>;

/**
 * Wraps a handler in another; compose several with {@link composeMiddleware}.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type Middleware = <Context>(next: FetchHandler<Context>) => FetchHandler<Context>;

/** @internal The JSON bodies of the SDK's refusals, without internals: a stable `error` word and a short message. */
export const REFUSALS = {
  401: { error: "unauthenticated", message: "this endpoint requires a caller authenticated with a SPIFFE ID" },
  403: { error: "forbidden", message: "caller is not authorized" },
} as const;

/** JSON error body without internals: a stable `error` word and a short message. */
function problem(status: 401 | 403, error: string, message: string): Response {
  return Response.json({ error, message }, { status, headers: { "cache-control": "no-store" } });
}

const unauthenticated = (): Response => problem(401, REFUSALS[401].error, REFUSALS[401].message);

/**
 * Applies middleware left to right: the first one sees the request first.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { composeMiddleware, requireAuthentication, requireTrustDomain } from "@spiffe-ts/sdk";
 * const handler = composeMiddleware(requireAuthentication(), requireTrustDomain("example.org"))(
 *   (request) => new Response("ok"),
 * );
 * ```
 */
export function composeMiddleware(...middleware: Middleware[]): Middleware {
  return <Context>(handler: FetchHandler<Context>): FetchHandler<Context> =>
    middleware.reduceRight<FetchHandler<Context>>((next, m) => m(next), handler);
}

/**
 * Answers `401` JSON unless the request carries a verified SPIFFE ID.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export function requireAuthentication(): Middleware {
  return (next) => (request, context) => (getPeerIdentity(request) ? next(request, context) : unauthenticated());
}

/**
 * Answers `401` without a verified SPIFFE ID and `403` when the caller is not a member of
 * the trust domain.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @throws {SpiffeIdError} at creation if the trust domain is invalid.
 */
export function requireTrustDomain(trustDomain: TrustDomain | string): Middleware {
  const td = typeof trustDomain === "string" ? TrustDomain.parse(trustDomain) : trustDomain;
  return requireCaller((id) => id.memberOf(td), `caller is not a member of trust domain "${td.name}"`);
}

/**
 * Answers `401` without a verified SPIFFE ID and `403` unless the caller's ID path starts
 * with `prefix` on a segment boundary (`/ns/prod` allows `/ns/prod/web`, not `/ns/production`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export function requirePathPrefix(prefix: string): Middleware {
  return requireCaller((id) => id.hasPathPrefix(prefix), `caller's SPIFFE ID path is not under "${prefix}"`);
}

/**
 * Runs an {@link Authorizer} per request: `401` without a verified SPIFFE ID, `403` when
 * the authorizer refuses. Errors other than `AuthorizationError` propagate (they are bugs,
 * not refusals).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export function requireAuthorized(authorizer: Authorizer): Middleware {
  return (next) => async (request, context) => {
    const peer = getPeerIdentity(request);
    if (!peer) return unauthenticated();
    try {
      await authorizer(peer.id, peer.certificates);
    } catch (err) {
      if (err instanceof AuthorizationError) return problem(403, REFUSALS[403].error, REFUSALS[403].message);
      throw err;
    }
    return next(request, context);
  };
}

function requireCaller(allowed: (id: SpiffeId) => boolean, refusal: string): Middleware {
  return (next) => (request, context) => {
    const peer = getPeerIdentity(request);
    if (!peer) return unauthenticated();
    return allowed(peer.id) ? next(request, context) : problem(403, "forbidden", refusal);
  };
}

/**
 * Logs one structured line per request at `info`: method, path, the caller's SPIFFE ID
 * and mechanism (or none), status and duration. Never logs headers or bodies.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { logIdentity } from "@spiffe-ts/sdk";
 * const handler = logIdentity(console)((request) => new Response("ok"));
 * ```
 */
export function logIdentity(logger: Logger, options: { now?: () => number } = {}): Middleware {
  const now = options.now ?? (() => performance.now());
  return (next) => async (request, context) => {
    const started = now();
    const peer = getPeerIdentity(request);
    const fields: Record<string, unknown> = {
      method: request.method,
      path: new URL(request.url).pathname,
      spiffeId: peer?.id.toString() ?? null,
      mechanism: peer?.mechanism ?? null,
    };
    try {
      const response = await next(request, context);
      logger.info?.("request", { ...fields, status: response.status, durationMs: Math.round(now() - started) });
      return response;
    } catch (err) {
      logger.error?.("request failed", { ...fields, error: err instanceof Error ? err.name : "unknown", durationMs: Math.round(now() - started) });
      throw err;
    }
  };
}
