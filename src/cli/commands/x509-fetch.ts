import { type Command, printJson, stringFlag, WORKLOAD_API_HELP, WORKLOAD_API_OPTIONS } from "../command.ts";
import { openClient, toCliError } from "../workload-api.ts";
import { writeX509Context, x509ContextJson, x509ContextText } from "../write-files.ts";

/** `spiffe-ts x509 fetch [--write DIR]`. */
export const x509Fetch: Command = {
  name: ["x509", "fetch"],
  summary: "fetch this workload's X.509-SVID and bundles from the Workload API",
  usage: "[--write DIR] [--address ADDR] [--json]",
  help: `  --write DIR        write svid.pem (chain, leaf first), svid_key.pem (mode 0600), bundle.pem
                     and federated_bundle.<trust domain>.pem into DIR, each atomically
${WORKLOAD_API_HELP}`,
  options: { ...WORKLOAD_API_OPTIONS, write: { type: "string" } },
  async run(args, io) {
    const { client, timeoutMs } = openClient(args, io);
    try {
      const context = await client.fetchX509Context({ timeoutMs, signal: io.signal });
      const dir = stringFlag(args, "write");
      const written = dir === undefined ? [] : await writeX509Context(dir, context);
      if (args.json) printJson(io, { ...x509ContextJson(context), written });
      else io.out(x509ContextText(context) + written.map((p) => `wrote ${p}\n`).join(""));
      return 0;
    } catch (err) {
      throw toCliError(err);
    } finally {
      await client.close();
    }
  },
};
