// What every CLI command shares: its definition, parsed arguments, output, exit codes.
import { type ParseArgsConfig, parseArgs } from "node:util";

/** Exit codes of `spiffe-ts`. */
export const EXIT = {
  ok: 0,
  /** Anything else that failed (file not writable, …). */
  failure: 1,
  /** Bad command line or configuration: unknown flag, missing argument, bad address. */
  usage: 2,
  /** The Workload API could not be reached, refused, or had no SVID for this workload. */
  workloadApi: 3,
  /** What was checked is not valid: a JWT-SVID refused, a file that is not an SVID. */
  invalid: 4,
} as const;

/** A failure the CLI reports as one line and an exit code (internal). */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;
  constructor(exitCode: number, code: string, message: string) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** One command: `spiffe-ts <name...> [flags] [positionals]` (internal). */
export interface Command {
  /** Words after `spiffe-ts`, e.g. `["x509", "fetch"]`. */
  readonly name: readonly string[];
  readonly summary: string;
  /** Usage line after the command name, e.g. `"[--write DIR]"`. */
  readonly usage: string;
  /** Lines of the help text describing flags and behavior. */
  readonly help: string;
  readonly options: Options;
  /** Names of required positionals, in order. */
  readonly positionals?: readonly string[];
  run(args: ParsedArgs, io: Io): Promise<number>;
}

/** Parsed flags and positionals. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
  readonly positionals: readonly string[];
  readonly json: boolean;
}

/** Where commands write and what they may read (internal). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

/** Flags every command accepts. */
export const COMMON_OPTIONS: Options = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** Flags of commands that talk to the Workload API. */
export const WORKLOAD_API_OPTIONS: Options = {
  address: { type: "string" },
  timeout: { type: "string" },
};

export const WORKLOAD_API_HELP = `  --address ADDR     Workload API address (unix:///path or tcp://IP:port); default $SPIFFE_ENDPOINT_SOCKET
  --timeout DURATION how long to wait for the Workload API (e.g. 5s, 500ms); default 10s`;

/** Parses a command's arguments; usage errors become CliError(EXIT.usage). */
export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", err instanceof Error ? err.message : String(err));
  }
  const json = parsed.values.json === true;
  if (parsed.values.help === true) return { values: parsed.values as ParsedArgs["values"], positionals: parsed.positionals, json };
  const wanted = command.positionals ?? [];
  if (parsed.positionals.length < wanted.length) {
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `missing ${wanted.slice(parsed.positionals.length).join(", ")}; usage: spiffe-ts ${command.name.join(" ")} ${command.usage}`);
  }
  if (parsed.positionals.length > wanted.length) {
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `unexpected argument ${JSON.stringify(parsed.positionals[wanted.length])}; usage: spiffe-ts ${command.name.join(" ")} ${command.usage}`);
  }
  return { values: parsed.values as ParsedArgs["values"], positionals: parsed.positionals, json };
}

/** Help text of one command. */
export function commandHelp(command: Command): string {
  return `spiffe-ts ${command.name.join(" ")}: ${command.summary}

Usage: spiffe-ts ${command.name.join(" ")} ${command.usage}

${command.help}
  --json             machine-readable output (one JSON document; errors as {"error":{code,message}} on stderr)
  -h, --help         this help
`;
}

/** A string flag's value, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A repeatable string flag's values. */
export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];
}

/** Parses `"500ms"`, `"30s"`, `"5m"`, `"1h"` or a number of milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: expected a duration such as 500ms, 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "ms") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * factor);
}

/** Writes `value` as one JSON document. */
export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
