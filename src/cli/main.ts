#!/usr/bin/env node
// `spiffe-ts`: the command-line tool. Runs unchanged on Node (compiled, or the .ts on Node 24),
// Bun and Deno (`deno run -A src/cli/main.ts`).
import { bundleServe } from "./commands/bundle-serve.ts";
import { bundleShow } from "./commands/bundle-show.ts";
import { devAgent } from "./commands/dev-agent.ts";
import { inspect } from "./commands/inspect.ts";
import { jwtFetch } from "./commands/jwt-fetch.ts";
import { jwtValidate } from "./commands/jwt-validate.ts";
import { proxyClient } from "./commands/proxy-client.ts";
import { proxyServer } from "./commands/proxy-server.ts";
import { x509Fetch } from "./commands/x509-fetch.ts";
import { x509Watch } from "./commands/x509-watch.ts";
import { CliError, type Command, commandHelp, EXIT, type Io, parseCommandArgs } from "./command.ts";
import { VERSION } from "./version.ts";
import { toCliError } from "./workload-api.ts";

/** Every command of `spiffe-ts`, in help order. */
export const COMMANDS: readonly Command[] = [x509Fetch, x509Watch, jwtFetch, jwtValidate, bundleShow, bundleServe, inspect, devAgent, proxyServer, proxyClient];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.join(" ").length));
  return `spiffe-ts: SPIFFE identities from the command line (Workload API, SVID files, mTLS proxies, a development agent)

Usage: spiffe-ts <command> [flags]    (spiffe-ts <command> --help for its flags)
       spiffe-ts --version

Commands:
${COMMANDS.map((c) => `  ${c.name.join(" ").padEnd(width)}  ${c.summary}`).join("\n")}

Every command accepts --json and --help. Exit codes: 0 ok, 1 failure, 2 usage or
configuration error, 3 Workload API unavailable or refused, 4 invalid SVID or token.
`;
}

/** Runs the CLI with `argv` (without the runtime and script); resolves with the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const json = argv.includes("--json");
  try {
    const command = COMMANDS.find((c) => c.name.every((w, i) => argv[i] === w));
    if (!command) {
      if (argv[0] === "--version") {
        io.out(json ? `${JSON.stringify({ version: VERSION })}\n` : `spiffe-ts ${VERSION}\n`);
        return EXIT.ok;
      }
      if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
        io.out(mainHelp());
        return argv.length === 0 ? EXIT.usage : EXIT.ok;
      }
      const group = COMMANDS.filter((c) => c.name[0] === argv[0]);
      const hint = group.length > 0 ? `; "${argv[0]}" has: ${group.map((c) => c.name.slice(1).join(" ")).join(", ")}` : "; run spiffe-ts --help";
      throw new CliError(EXIT.usage, "ERR_CLI_UNKNOWN_COMMAND", `unknown command ${JSON.stringify(argv.slice(0, 2).join(" "))}${hint}`);
    }
    const args = parseCommandArgs(command, argv.slice(command.name.length));
    if (args.values.help === true) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (err) {
    const e = toCliError(err);
    io.err(json ? `${JSON.stringify({ error: { code: e.code, message: e.message, exitCode: e.exitCode } })}\n` : `spiffe-ts: ${e.message}\n`);
    return e.exitCode;
  }
}

const isMain = (import.meta as { main?: boolean }).main ?? (process.argv[1] !== undefined && import.meta.url === (await import("node:url")).pathToFileURL((await import("node:fs")).realpathSync(process.argv[1])).href);

if (isMain) {
  const controller = new AbortController();
  for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => controller.abort());
  const code = await main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    signal: controller.signal,
  });
  process.exitCode = code;
  // Open handles (sockets being torn down) must not keep a finished command alive.
  setTimeout(() => process.exit(code), 200).unref();
}
