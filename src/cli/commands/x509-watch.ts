import { spawn } from "node:child_process";
import { CliError, type Command, EXIT, stringFlag, WORKLOAD_API_HELP, WORKLOAD_API_OPTIONS } from "../command.ts";
import { openClient, toCliError } from "../workload-api.ts";
import { writeX509Context, x509ContextJson } from "../write-files.ts";

function runHook(command: string, env: Readonly<Record<string, string | undefined>>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ["ignore", 2, 2], env: { ...env } as Record<string, string> });
    child.once("error", () => resolve(null));
    child.once("exit", (code) => resolve(code));
  });
}

/** `spiffe-ts x509 watch [--write DIR] [--exec CMD]`: one line per update until SIGINT/SIGTERM. */
export const x509Watch: Command = {
  name: ["x509", "watch"],
  summary: "follow X.509-SVID rotations: print each update, optionally rewrite files and run a command",
  usage: "[--write DIR] [--exec CMD] [--count N] [--address ADDR] [--json]",
  help: `  --write DIR        rewrite svid.pem, svid_key.pem (0600), bundle.pem, federated_bundle.<td>.pem
                     atomically on each update (a reader never sees a half-written file)
  --exec CMD         run CMD (through the shell) after each update's files are written
  --count N          exit after N updates (default: run until SIGINT/SIGTERM)
${WORKLOAD_API_HELP}
Prints one line per update (with --json: one JSON object per line). Connection errors are
reported on stderr and retried; exits 0 on SIGINT/SIGTERM.`,
  options: { ...WORKLOAD_API_OPTIONS, write: { type: "string" }, exec: { type: "string" }, count: { type: "string" } },
  async run(args, io) {
    const countText = stringFlag(args, "count");
    if (countText !== undefined && !/^[1-9]\d*$/.test(countText)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--count: expected a positive number, got ${JSON.stringify(countText)}`);
    const count = countText === undefined ? Infinity : Number(countText);
    const dir = stringFlag(args, "write");
    const hook = stringFlag(args, "exec");
    const { client } = openClient(args, io);
    let seen = 0;
    try {
      const onError = (err: Error): void => io.err(`spiffe-ts: ${err.message} (retrying)\n`);
      for await (const context of client.watchX509Context({ signal: io.signal, onError })) {
        const written = dir === undefined ? [] : await writeX509Context(dir, context);
        const exitCode = hook === undefined ? undefined : await runHook(hook, io.env);
        seen++;
        const svid = context.defaultSvid;
        if (args.json) io.out(`${JSON.stringify({ update: seen, ...x509ContextJson(context), written, ...(hook === undefined ? {} : { execExitCode: exitCode }) })}\n`);
        else io.out(`update ${seen}: ${svid.id.toString()} serial ${svid.serialNumber} expires ${svid.expiresAt.toISOString()}${written.length ? `, wrote ${written.length} files` : ""}${hook === undefined ? "" : `, ran command (exit ${exitCode})`}\n`);
        if (seen >= count) break;
      }
      return 0;
    } catch (err) {
      throw toCliError(err);
    } finally {
      await client.close();
    }
  },
};
