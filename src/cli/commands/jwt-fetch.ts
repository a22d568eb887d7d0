import { CliError, type Command, EXIT, listFlag, printJson, stringFlag, WORKLOAD_API_HELP, WORKLOAD_API_OPTIONS } from "../command.ts";
import { openClient, toCliError } from "../workload-api.ts";

/** `spiffe-ts jwt fetch --audience A [--spiffe-id ID]`. */
export const jwtFetch: Command = {
  name: ["jwt", "fetch"],
  summary: "fetch a JWT-SVID for an audience and print the token",
  usage: "--audience A [--audience B] [--spiffe-id ID] [--address ADDR] [--json]",
  help: `  --audience A       audience the token is for (repeatable; required)
  --spiffe-id ID     which of the workload's SPIFFE IDs to get a token for (default: the first)
${WORKLOAD_API_HELP}
Prints the token alone (for TOKEN=$(spiffe-ts jwt fetch ...)); --json adds ID, audience, expiry.`,
  options: { ...WORKLOAD_API_OPTIONS, audience: { type: "string", multiple: true }, "spiffe-id": { type: "string" } },
  async run(args, io) {
    const audience = listFlag(args, "audience");
    if (audience.length === 0) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--audience is required: the audience the JWT-SVID is for");
    const { client, timeoutMs } = openClient(args, io);
    try {
      const subject = stringFlag(args, "spiffe-id");
      const svid = await client.fetchJwtSvid({ audience, timeoutMs, signal: io.signal, ...(subject === undefined ? {} : { subject }) });
      if (args.json) printJson(io, { ...svid.toJSON(), token: svid.token });
      else io.out(`${svid.token}\n`);
      return 0;
    } catch (err) {
      throw toCliError(err);
    } finally {
      await client.close();
    }
  },
};
