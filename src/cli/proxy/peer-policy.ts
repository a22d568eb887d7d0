// `--allow ID` / `--allow-td TD` / `--allow-any` (and the client's `--expect-*`) as one Authorizer.
import { type Authorizer, authorizeAny, authorizeMemberOf, authorizeOneOf } from "../../core/authz/authorizer.ts";
import { AuthorizationError } from "../../core/errors/authorization-error.ts";
import { SpiffeId } from "../../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../../core/spiffeid/trust-domain.ts";
import { CliError, EXIT, listFlag, type ParsedArgs } from "../command.ts";

/** The peer policy as given on the command line, with the flag names for messages. */
export interface PeerPolicyFlags {
  readonly ids: readonly string[];
  readonly trustDomains: readonly string[];
  readonly any: boolean;
  /** Flag names, e.g. `{ ids: "allow", trustDomains: "allow-td", any: "allow-any" }`. */
  readonly names: { readonly ids: string; readonly trustDomains: string; readonly any: string };
}

/** Reads the policy flags named in `names` (e.g. `allow`, `allow-td`, `allow-any`). */
export function policyFlagsOf(args: ParsedArgs, names: PeerPolicyFlags["names"]): PeerPolicyFlags {
  return { ids: listFlag(args, names.ids), trustDomains: listFlag(args, names.trustDomains), any: args.values[names.any] === true, names };
}

/** The peer policy in words, for the ready line. */
export function describePolicy(flags: PeerPolicyFlags): string {
  if (flags.any) return "any SPIFFE ID the bundles verify";
  return [...flags.ids, ...flags.trustDomains.map((td) => `any ID in ${TrustDomain.parse(td).name}`)].join(", ");
}

/**
 * An Authorizer that accepts a peer whose ID is one of `ids` or in one of `trustDomains`
 * (or anyone verified, with `any`). Requires an explicit policy: no flag is a usage error.
 */
export function peerPolicy(flags: PeerPolicyFlags): Authorizer {
  const { names } = flags;
  const given = flags.ids.length + flags.trustDomains.length;
  if (flags.any && given > 0) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${names.any} cannot be combined with --${names.ids} or --${names.trustDomains}`);
  if (flags.any) return authorizeAny();
  if (given === 0) {
    throw new CliError(EXIT.usage, "ERR_CLI_NO_POLICY", `say which peers are accepted: --${names.ids} SPIFFE_ID, --${names.trustDomains} TRUST_DOMAIN (both repeatable) or --${names.any}`);
  }
  for (const id of flags.ids) {
    if (!SpiffeId.canParse(id)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${names.ids}: ${JSON.stringify(id)} is not a SPIFFE ID (spiffe://trust-domain/path)`);
  }
  for (const td of flags.trustDomains) {
    if (!TrustDomain.canParse(td)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${names.trustDomains}: ${JSON.stringify(td)} is not a trust domain name`);
  }
  const byId = flags.ids.length ? authorizeOneOf(...flags.ids) : undefined;
  const byTd = flags.trustDomains.map((td) => authorizeMemberOf(td));
  const all = [...(byId ? [byId] : []), ...byTd];
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
    throw new AuthorizationError("ERR_AUTHZ_DENIED", id, `peer ID "${id}" is not one of ${describePolicy(flags)}`);
  };
}
