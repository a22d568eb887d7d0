// `--allow ID` / `--allow-td TD` / `--allow-any` (and the client's `--expect-*`): the flags
// that say which peers are accepted, read into the SDK's one peer-policy model
// (src/config/peer-policy.ts, which `loadConfig` uses too).
import { SpiffeId } from "../../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../../core/spiffeid/trust-domain.ts";
import type { PeerPolicy } from "../../config/peer-policy.ts";
import { CliError, EXIT, listFlag, type ParsedArgs } from "../command.ts";

/** Flag names of one command's policy, e.g. `{ ids: "allow", trustDomains: "allow-td", any: "allow-any" }`. */
export interface PolicyFlagNames {
  readonly ids: string;
  readonly trustDomains: string;
  readonly any: string;
}

/**
 * The peer policy the flags named in `names` give. Requires an explicit policy: no flag is
 * a usage error (`ERR_CLI_NO_POLICY`), and so are a malformed ID or trust domain and
 * `--*-any` next to a list.
 */
export function peerPolicyOf(args: ParsedArgs, names: PolicyFlagNames): PeerPolicy {
  const ids = listFlag(args, names.ids);
  const trustDomains = listFlag(args, names.trustDomains);
  const any = args.values[names.any] === true;
  const given = ids.length + trustDomains.length;
  if (any && given > 0) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${names.any} cannot be combined with --${names.ids} or --${names.trustDomains}`);
  if (any) return { kind: "any" };
  if (given === 0) {
    throw new CliError(EXIT.usage, "ERR_CLI_NO_POLICY", `say which peers are accepted: --${names.ids} SPIFFE_ID, --${names.trustDomains} TRUST_DOMAIN (both repeatable) or --${names.any}`);
  }
  for (const id of ids) {
    if (!SpiffeId.canParse(id)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${names.ids}: ${JSON.stringify(id)} is not a SPIFFE ID (spiffe://trust-domain/path)`);
  }
  for (const td of trustDomains) {
    if (!TrustDomain.canParse(td)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${names.trustDomains}: ${JSON.stringify(td)} is not a trust domain name`);
  }
  return { kind: "allow", ids, trustDomains };
}
