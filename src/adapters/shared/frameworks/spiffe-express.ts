import type { IncomingMessage, ServerResponse } from "node:http";
import { checkCaller, checkMiddlewareOptions, definePeerFields, isRefusal, type Refusal, type SpiffeMiddlewareOptions } from "./check-caller.ts";

/**
 * Express middleware, typed without importing Express (any `(req, res, next)` framework
 * on `node:http` fits: Express 4 and 5, Connect, Polka, …).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type SpiffeExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Express middleware that puts the caller's verified SPIFFE ID on the request
 * (`req.spiffeId`, `req.spiffePeer`; see `SpiffeRequestFields` for their types). The server
 * must be a SPIFFE server (`attachSpiffe`): authentication happened in the TLS handshake,
 * before Express saw the request. The middleware refuses only what it cannot vouch for:
 * `401` when the connection was not verified by the SDK (a server without `attachSpiffe`),
 * `403` when the optional `authorizer` refuses the caller. Express is not a dependency: the
 * middleware imports nothing from it.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import express from "express";
 * import { authorizeMemberOf } from "@spiffe-ts/sdk";
 * import { spiffeExpress } from "@spiffe-ts/sdk/node";
 * const app = express();
 * app.use("/api", spiffeExpress({ authorizer: authorizeMemberOf("example.org") }));
 * ```
 * @throws {ConfigError} when the authorizer is not a function.
 */
export function spiffeExpress(options?: SpiffeMiddlewareOptions): SpiffeExpressMiddleware {
  const authorizer = checkMiddlewareOptions(options, "spiffeExpress");
  return (req, res, next) => {
    checkCaller(req, authorizer).then((checked) => {
      if (isRefusal(checked)) return refuse(res, checked);
      definePeerFields(req, checked);
      next();
    }, next);
  };
}

function refuse(res: ServerResponse, refusal: Refusal): void {
  res.writeHead(refusal.status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(refusal.body));
}
