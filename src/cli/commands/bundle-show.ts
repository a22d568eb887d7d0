import { CliError, type Command, EXIT, printJson, stringFlag, WORKLOAD_API_HELP, WORKLOAD_API_OPTIONS } from "../command.ts";
import { openClient, toCliError } from "../workload-api.ts";

/** `spiffe-ts bundle show [--format pem|jwks]`. */
export const bundleShow: Command = {
  name: ["bundle", "show"],
  summary: "print the trust bundles the Workload API gives this workload",
  usage: "[--format pem|jwks] [--address ADDR] [--json]",
  help: `  --format pem|jwks  X.509 authorities as PEM (default), or JWT authorities as JWKS
${WORKLOAD_API_HELP}`,
  options: { ...WORKLOAD_API_OPTIONS, format: { type: "string" } },
  async run(args, io) {
    const format = stringFlag(args, "format") ?? "pem";
    if (format !== "pem" && format !== "jwks") throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--format: expected pem or jwks, got ${JSON.stringify(format)}`);
    const { client, timeoutMs } = openClient(args, io);
    try {
      if (format === "pem") {
        const bundles = await client.fetchX509Bundles({ timeoutMs, signal: io.signal });
        if (args.json) printJson(io, { format, bundles: Object.fromEntries([...bundles].map(([td, b]) => [td, b.toPem()])) });
        else for (const [td, b] of bundles) io.out(`# ${td}\n${b.toPem()}`);
      } else {
        const bundles = await client.fetchJwtBundles({ timeoutMs, signal: io.signal });
        const jwks = Object.fromEntries([...bundles].map(([td, b]) => [td, b.toJwks()]));
        printJson(io, args.json ? { format, bundles: jwks } : jwks);
      }
      return 0;
    } catch (err) {
      throw toCliError(err);
    } finally {
      await client.close();
    }
  },
};
