// The one decision of the framework middleware (Express, Fastify, Koa): the caller's verified
// identity from the connection, or the refusal to answer. Internal.
import type { Authorizer } from "../../../core/authz/authorizer.ts";
import { ConfigError } from "../../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";
import { AuthorizationError } from "../../../core/errors/authorization-error.ts";
import type { PeerIdentity } from "../../../http/peer-identity.ts";
import { REFUSALS } from "../../../http/middleware.ts";
import { getPeerIdentity, type PeerMessage } from "../peer-of-message.ts";

/**
 * Options of the framework middleware (`spiffeExpress`, `spiffeFastify`, `spiffeKoa`).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeMiddlewareOptions {
  /**
   * Which callers may reach the routes behind the middleware, per request (e.g.
   * `authorizeMemberOf("example.org")`); a refused caller gets `403`. Default: every caller
   * that `attachSpiffe` let connect.
   */
  readonly authorizer?: Authorizer;
}

/** A refusal: the status and its JSON body. */
export interface Refusal {
  readonly status: 401 | 403;
  readonly body: { readonly error: string; readonly message: string };
}

/** @throws {ConfigError} when `options` or its authorizer is not what it should be. */
export function checkMiddlewareOptions(options: SpiffeMiddlewareOptions | undefined, name: string): Authorizer | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `${name} takes { authorizer? }, got ${describeType(options)}`);
  if (options.authorizer !== undefined && typeof options.authorizer !== "function") {
    throw new ConfigError("authorizer", "must be a function (authorizeId(id), authorizeMemberOf(td), …)");
  }
  return options.authorizer;
}

/**
 * The verified identity of the connection `message` came on, once `authorizer` (if any)
 * accepted it; a `401` refusal when the connection was not verified by the SDK (a server
 * without `attachSpiffe`), `403` when the authorizer refused. Other errors of the
 * authorizer are thrown (bugs, not refusals).
 */
export async function checkCaller(message: PeerMessage, authorizer: Authorizer | undefined): Promise<PeerIdentity | Refusal> {
  const peer = getPeerIdentity(message);
  if (!peer) return { status: 401, body: REFUSALS[401] };
  if (authorizer) {
    try {
      await authorizer(peer.id, peer.certificates);
    } catch (err) {
      if (err instanceof AuthorizationError) return { status: 403, body: REFUSALS[403] };
      throw err;
    }
  }
  return peer;
}

export function isRefusal(v: PeerIdentity | Refusal): v is Refusal {
  return "status" in v;
}

/** Sets `spiffeId` and `spiffePeer` on `target` as read-only properties. */
export function definePeerFields(target: object, peer: PeerIdentity): void {
  Object.defineProperties(target, {
    spiffeId: { value: peer.id, enumerable: true, configurable: true },
    spiffePeer: { value: peer, enumerable: false, configurable: true },
  });
}
