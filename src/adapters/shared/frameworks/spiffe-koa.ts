import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { checkCaller, checkMiddlewareOptions, definePeerFields, isRefusal, type SpiffeMiddlewareOptions } from "./check-caller.ts";

/**
 * The part of a Koa context that `spiffeKoa` uses (Koa is not a dependency of the SDK).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface KoaContextLike {
  /** The Node request, whose connection carries the verified caller. */
  readonly req: IncomingMessage | Http2ServerRequest;
  /** Where the middleware puts `spiffeId` and `spiffePeer`. */
  readonly state: object;
  /** The response status (set on a refusal). */
  status: number;
  /** The response body (set on a refusal). */
  body: unknown;
  /** Sets a response header. */
  set(field: string, value: string): void;
}

/**
 * Koa middleware, typed without importing Koa.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type SpiffeKoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

/**
 * Koa middleware that puts the caller's verified SPIFFE ID on `ctx.state` (`spiffeId`,
 * `spiffePeer`; `new Koa<SpiffeRequestFields>()` types them). The server must be a SPIFFE
 * server (`attachSpiffe`; Koa serves `node:https` and `node:http2`): authentication happened
 * in the TLS handshake. The middleware refuses only what it cannot vouch for: `401` when the
 * connection was not verified by the SDK, `403` when the optional `authorizer` refuses the
 * caller. Koa is not a dependency: the middleware imports nothing from it.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import Koa from "koa";
 * import { authorizeMemberOf } from "@spiffe-ts/sdk";
 * import { type SpiffeRequestFields, spiffeKoa } from "@spiffe-ts/sdk/node";
 * const app = new Koa<SpiffeRequestFields>();
 * app.use(spiffeKoa({ authorizer: authorizeMemberOf("example.org") }));
 * app.use((ctx) => {
 *   ctx.body = { caller: ctx.state.spiffeId.toString() };
 * });
 * ```
 * @throws {ConfigError} when the authorizer is not a function.
 */
export function spiffeKoa(options?: SpiffeMiddlewareOptions): SpiffeKoaMiddleware {
  const authorizer = checkMiddlewareOptions(options, "spiffeKoa");
  return async (ctx, next) => {
    const checked = await checkCaller(ctx.req, authorizer);
    if (isRefusal(checked)) {
      ctx.status = checked.status;
      ctx.set("cache-control", "no-store");
      ctx.body = checked.body;
      return;
    }
    definePeerFields(ctx.state, checked);
    await next();
  };
}
