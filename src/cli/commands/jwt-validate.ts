import { WorkloadApiError } from "../../core/errors/workload-api-error.ts";
import { CliError, type Command, EXIT, printJson, stringFlag, WORKLOAD_API_HELP, WORKLOAD_API_OPTIONS } from "../command.ts";
import { openClient, toCliError } from "../workload-api.ts";

/** `spiffe-ts jwt validate --audience A TOKEN`. */
export const jwtValidate: Command = {
  name: ["jwt", "validate"],
  summary: "have the Workload API validate a JWT-SVID for an audience",
  usage: "--audience A [--address ADDR] [--json] TOKEN",
  help: `  --audience A       the audience the token must carry (required)
${WORKLOAD_API_HELP}
Exit code 4 when the token is refused.`,
  options: { ...WORKLOAD_API_OPTIONS, audience: { type: "string" } },
  positionals: ["TOKEN"],
  async run(args, io) {
    const audience = stringFlag(args, "audience");
    if (!audience) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--audience is required: the audience the token must carry");
    const { client, timeoutMs } = openClient(args, io);
    try {
      const { id, claims } = await client.validateJwtSvid(args.positionals[0]!, audience, { timeoutMs, signal: io.signal });
      if (args.json) printJson(io, { valid: true, spiffeId: id.toString(), claims });
      else io.out(`valid JWT-SVID for ${id.toString()}\n`);
      return 0;
    } catch (err) {
      // The agent refusing the token (InvalidArgument) means "not valid", not "agent unavailable".
      if (err instanceof WorkloadApiError && err.code === "ERR_WORKLOAD_API_INVALID_ARGUMENT") throw new CliError(EXIT.invalid, "ERR_CLI_JWT_INVALID", `JWT-SVID refused: ${err.message}`);
      throw toCliError(err);
    } finally {
      await client.close();
    }
  },
};
