import type { Authorizer } from "../core/authz/authorizer.ts";
import { AuthorizationError } from "../core/errors/authorization-error.ts";
import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { getPeerIdentity } from "./peer-identity.ts";

/**
 * The *subject* of a request: who a trusted intermediary (a gateway) says it acts for.
 * This is a claim made by `forwardedBy`, not an authenticated identity; the caller is
 * always `forwardedBy`, which the transport verified.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface ForwardedSubject {
  /** The header's value, as sent by the gateway (e.g. a SPIFFE ID or a user name). */
  readonly value: string;
  /** The verified SPIFFE ID of the caller that made the claim. */
  readonly forwardedBy: SpiffeId;
}

/** Options of {@link getForwardedSubject}. */
export interface ForwardedSubjectOptions {
  /** Which callers may speak for someone else (e.g. `authorizeId(gatewayId)`). Required. */
  readonly trustedForwarders: Authorizer;
  /** Header carrying the subject. Default `"x-spiffe-id"`. */
  readonly header?: string;
}

/**
 * Reads the subject a trusted gateway forwards in a header (default `X-SPIFFE-ID`),
 * **only** when the request's verified caller passes `trustedForwarders`; otherwise
 * `undefined`. The caller's own identity is never taken from a header: use
 * `getSpiffeId(request)` for that.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { authorizeId, getForwardedSubject, getSpiffeId } from "@spiffe-ts/sdk";
 * const caller = getSpiffeId(request);            // the gateway, verified by mTLS
 * const subject = await getForwardedSubject(request, {
 *   trustedForwarders: authorizeId("spiffe://example.org/gateway"),
 * });                                              // who the gateway acts for, or undefined
 * ```
 */
export async function getForwardedSubject(
  request: Request,
  options: ForwardedSubjectOptions,
): Promise<ForwardedSubject | undefined> {
  const peer = getPeerIdentity(request);
  const value = request.headers.get(options.header ?? "x-spiffe-id");
  if (!peer || value === null || value === "") return undefined;
  try {
    await options.trustedForwarders(peer.id, peer.certificates);
  } catch (err) {
    if (err instanceof AuthorizationError) return undefined;
    throw err;
  }
  return { value, forwardedBy: peer.id };
}
