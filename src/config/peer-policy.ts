// Who may connect (or be called): the one peer-policy model of the SDK's configuration
// surfaces. `loadConfig` reads it from the file/environment, the CLI proxies from their
// `--allow*`/`--expect-*` flags; both turn it into an Authorizer here. Web APIs only.
import { type Authorizer, authorizeAny, authorizeMemberOf, authorizeOneOf } from "../core/authz/authorizer.ts";
import { AuthorizationError } from "../core/errors/authorization-error.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";

/**
 * A peer policy: every peer whose X.509-SVID verifies against the bundles (`"any"`), or
 * those with one of `ids` or in one of `trustDomains` (`"allow"`; at least one entry).
 *
 * Exported (as a type) from `@spiffe-ts/sdk/config`.
 *
 * @example
 * ```ts
 * const policy: PeerPolicy = { kind: "allow", ids: ["spiffe://example.org/web"], trustDomains: ["partner.org"] };
 * ```
 */
export type PeerPolicy =
  | { readonly kind: "any" }
  | { readonly kind: "allow"; readonly ids: readonly string[]; readonly trustDomains: readonly string[] };

/**
 * The authorizer of a validated peer policy (its IDs and trust domains parse: the config
 * schema and the CLI check them first, with messages that name the setting).
 */
export function peerPolicyAuthorizer(policy: PeerPolicy): Authorizer {
  if (policy.kind === "any") return authorizeAny();
  const all: Authorizer[] = [...(policy.ids.length ? [authorizeOneOf(...policy.ids)] : []), ...policy.trustDomains.map((td) => authorizeMemberOf(td))];
  if (all.length === 0) throw new ConfigError("peers", "a peer policy of kind \"allow\" needs at least one SPIFFE ID or trust domain");
  if (all.length === 1) return all[0]!;
  return async (id, chain) => {
    for (const authorize of all) {
      try {
        await authorize(id, chain);
        return;
      } catch (err) {
        if (!(err instanceof AuthorizationError)) throw err;
      }
    }
    throw new AuthorizationError("ERR_AUTHZ_DENIED", id, `peer ID "${id}" is not one of ${describePeerPolicy(policy)}`);
  };
}

/** The policy in words, e.g. for a ready line: `spiffe://example.org/web, any ID in partner.org`. */
export function describePeerPolicy(policy: PeerPolicy): string {
  if (policy.kind === "any") return "any SPIFFE ID the bundles verify";
  return [...policy.ids, ...policy.trustDomains.map((td) => `any ID in ${TrustDomain.parse(td).name}`)].join(", ");
}
