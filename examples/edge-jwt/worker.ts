// An edge worker (Cloudflare Workers / Deno Deploy / Bun / any `fetch`-handler runtime) that
// authenticates callers by the JWT-SVID in `Authorization: Bearer`, validated against the JWT
// authorities a SPIFFE trust domain publishes on its https_web bundle endpoint (SPIFFE
// Federation). No Workload API, no TLS of our own, no node:* imports: the root entry only.
//
// Configuration (the worker's environment / bindings):
//   BUNDLE_ENDPOINT_URL  the trust domain's https_web bundle endpoint, e.g. https://spire.example.org/bundle
//   TRUST_DOMAIN         the trust domain that endpoint serves, e.g. example.org (callers must belong to it)
//   AUDIENCE             the audience tokens must name, e.g. spiffe://example.org/edge-api
//
// GET /whoami → 200 {"id","trustDomain","path"} for a valid token; 401 without one, for an
// invalid one, or for a token of another trust domain (there is no bundle to check it with);
// 503 while no bundle could be fetched yet.
import {
  composeMiddleware,
  type FetchHandler,
  getSpiffeId,
  requireJwtSvid,
  requireTrustDomain,
  type WebFetch,
} from "@spiffe-ts/sdk";
import { EdgeBundleCache } from "./bundle-cache.ts";

/** The worker's configuration. */
export interface EdgeEnv {
  readonly BUNDLE_ENDPOINT_URL: string;
  readonly TRUST_DOMAIN: string;
  readonly AUDIENCE: string;
}

/** Test hooks: `fetch` is fetchBundle's https_web `fetch` (tests trust a test root with it); `now` the cache's clock. */
export interface EdgeHooks {
  readonly fetch?: WebFetch;
  readonly now?: () => number;
}

/** The worker's request handler for `env`. */
export function createEdgeJwtHandler(env: EdgeEnv, hooks: EdgeHooks = {}): (request: Request) => Promise<Response> {
  const bundles = new EdgeBundleCache(env.BUNDLE_ENDPOINT_URL, { trustDomain: env.TRUST_DOMAIN, profile: "https_web", timeoutMs: 5000, fetch: hooks.fetch }, hooks.now);
  const app: FetchHandler<unknown> = composeMiddleware(
    requireJwtSvid({ source: bundles, audience: env.AUDIENCE, logger: console }),
    requireTrustDomain(env.TRUST_DOMAIN),
  )((request) => {
    if (new URL(request.url).pathname !== "/whoami") return new Response("not found\n", { status: 404 });
    const id = getSpiffeId(request)!;
    return Response.json({ id: id.toString(), trustDomain: id.trustDomain.name, path: id.path });
  });
  return async (request) => {
    if (!(await bundles.ensureFresh())) return Response.json({ error: "unavailable", message: "no trust bundle yet" }, { status: 503, headers: { "retry-after": "30" } });
    return app(request, undefined);
  };
}

// One handler per configuration, made on the first request (edge runtimes allow no I/O at load time).
const handlers = new Map<string, (request: Request) => Promise<Response>>();

/** The Worker module: `export default { fetch }`, as Cloudflare Workers and `deno serve` expect. */
export default {
  fetch(request: Request, env: EdgeEnv): Promise<Response> {
    const key = `${env.BUNDLE_ENDPOINT_URL} ${env.TRUST_DOMAIN} ${env.AUDIENCE}`;
    let handler = handlers.get(key);
    if (!handler) handlers.set(key, (handler = createEdgeJwtHandler(env)));
    return handler(request);
  },
};
