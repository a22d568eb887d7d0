import { AuthenticationError } from "../core/errors/authentication-error.ts";
import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { getPeerIdentity } from "./peer-identity.ts";

/**
 * The caller's verified SPIFFE ID, from the peer certificate the server verified, or
 * `undefined` when the request carries no verified identity. On a `Response` of an mTLS
 * client it is the server's verified ID. Headers such as
 * `X-SPIFFE-ID` are never consulted: see `getForwardedSubject` for those.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { getSpiffeId } from "@spiffe-ts/sdk";
 * const handler = (request: Request) => new Response(`hello ${getSpiffeId(request) ?? "stranger"}`);
 * ```
 */
export function getSpiffeId(request: Request | Response): SpiffeId | undefined {
  return getPeerIdentity(request)?.id;
}

/**
 * Like {@link getSpiffeId}, but throws when the request has no verified identity
 * (Go's `mustGet`).
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @throws {AuthenticationError} `ERR_AUTHN_NO_PEER_IDENTITY`.
 */
export function requireSpiffeId(request: Request): SpiffeId {
  const id = getSpiffeId(request);
  if (!id) {
    throw new AuthenticationError(
      "ERR_AUTHN_NO_PEER_IDENTITY",
      "the request carries no verified SPIFFE ID (not served over SPIFFE mTLS, or no withSpiffeId in a test)",
    );
  }
  return id;
}
