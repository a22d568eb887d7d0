import { AuthorizationError } from "../errors/authorization-error.ts";
import { SpiffeId } from "../spiffeid/spiffe-id.ts";
import { TrustDomain } from "../spiffeid/trust-domain.ts";

/**
 * Decides whether an already *verified* peer may talk to us. It returns normally to allow
 * and throws {@link AuthorizationError} to refuse. It runs only after the peer's X.509-SVID
 * was verified, so `id` is authenticated; `verifiedChain` is the peer's chain (DER, leaf
 * first, ending at the bundle root that anchored it).
 *
 * The SDK authenticates; what to allow is the application's policy. Build it from
 * {@link authorizeAny}, {@link authorizeId}, {@link authorizeOneOf},
 * {@link authorizeMemberOf} or {@link adaptMatcher}.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type Authorizer = (id: SpiffeId, verifiedChain: readonly Uint8Array[]) => void | Promise<void>;

const toId = (id: SpiffeId | string): SpiffeId => (typeof id === "string" ? SpiffeId.parse(id) : id);

/**
 * Allows every peer whose X.509-SVID verifies against our bundles (any trust domain we
 * hold a bundle for). Use when authorization happens later, per request.
 *
 * @example
 * ```ts
 * import { authorizeAny } from "@spiffe-ts/sdk";
 * const authorizer = authorizeAny();
 * ```
 */
export function authorizeAny(): Authorizer {
  return () => {};
}

/**
 * Allows exactly one SPIFFE ID.
 *
 * @example
 * ```ts
 * import { authorizeId } from "@spiffe-ts/sdk";
 * const authorizer = authorizeId("spiffe://example.org/client");
 * ```
 * @throws {SpiffeIdError} at creation if `id` is not a valid SPIFFE ID.
 */
export function authorizeId(id: SpiffeId | string): Authorizer {
  const expected = toId(id);
  return (peer) => {
    if (!peer.equals(expected)) {
      throw new AuthorizationError("ERR_AUTHZ_UNEXPECTED_ID", peer, `unexpected peer ID "${peer}": expected "${expected}"`);
    }
  };
}

/**
 * Allows any of the given SPIFFE IDs.
 *
 * @example
 * ```ts
 * import { authorizeOneOf } from "@spiffe-ts/sdk";
 * const authorizer = authorizeOneOf("spiffe://example.org/a", "spiffe://example.org/b");
 * ```
 * @throws {SpiffeIdError} at creation if an ID is invalid.
 */
export function authorizeOneOf(...ids: Array<SpiffeId | string>): Authorizer {
  const allowed = new Set(ids.map((id) => toId(id).toString()));
  return (peer) => {
    if (!allowed.has(peer.toString())) {
      throw new AuthorizationError(
        "ERR_AUTHZ_UNEXPECTED_ID",
        peer,
        `unexpected peer ID "${peer}": expected one of ${[...allowed].map((s) => `"${s}"`).join(", ") || "(none)"}`,
      );
    }
  };
}

/**
 * Allows any SPIFFE ID of one trust domain.
 *
 * @example
 * ```ts
 * import { authorizeMemberOf } from "@spiffe-ts/sdk";
 * const authorizer = authorizeMemberOf("example.org");
 * ```
 * @throws {SpiffeIdError} at creation if the trust domain is invalid.
 */
export function authorizeMemberOf(trustDomain: TrustDomain | string): Authorizer {
  const td = typeof trustDomain === "string" ? TrustDomain.parse(trustDomain) : trustDomain;
  return (peer) => {
    if (!peer.memberOf(td)) {
      throw new AuthorizationError(
        "ERR_AUTHZ_TRUST_DOMAIN",
        peer,
        `peer ID "${peer}" is not a member of trust domain "${td.name}"`,
      );
    }
  };
}

/**
 * Turns a predicate on the peer's ID into an authorizer. A predicate that throws refuses
 * the peer too (its error becomes the `cause`).
 *
 * @example
 * ```ts
 * import { adaptMatcher } from "@spiffe-ts/sdk";
 * const authorizer = adaptMatcher((id) => id.memberOf("example.org") && id.hasPathPrefix("/ns/prod"));
 * ```
 */
export function adaptMatcher(matches: (id: SpiffeId) => boolean | Promise<boolean>): Authorizer {
  return async (peer) => {
    let ok: boolean;
    try {
      ok = await matches(peer);
    } catch (cause) {
      if (cause instanceof AuthorizationError) throw cause;
      throw new AuthorizationError("ERR_AUTHZ_DENIED", peer, `peer ID "${peer}" refused: matcher threw`, { cause });
    }
    if (ok !== true) throw new AuthorizationError("ERR_AUTHZ_DENIED", peer, `peer ID "${peer}" refused by matcher`);
  };
}
