// Opening the Workload API client from CLI flags, and mapping SDK errors to exit codes.
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { WorkloadApiClient } from "../adapters/shared/workload-api.ts";
import { CliError, EXIT, type Io, type ParsedArgs, parseDuration, stringFlag } from "./command.ts";

/** The client for `--address` (or SPIFFE_ENDPOINT_SOCKET) and the call timeout from `--timeout`. */
export function openClient(args: ParsedArgs, io: Io): { client: WorkloadApiClient; timeoutMs: number } {
  const address = stringFlag(args, "address");
  const timeoutMs = parseDuration("timeout", stringFlag(args, "timeout") ?? "10s");
  if (address === undefined && !io.env.SPIFFE_ENDPOINT_SOCKET) {
    throw new CliError(EXIT.usage, "ERR_CLI_NO_ADDRESS", "no Workload API address: pass --address unix:///path/to/agent.sock or set SPIFFE_ENDPOINT_SOCKET");
  }
  try {
    return { client: new WorkloadApiClient(address === undefined ? { env: io.env } : { address }), timeoutMs };
  } catch (err) {
    throw toCliError(err);
  }
}

/** Maps any thrown value to a CliError with the exit code for its kind. */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  // A refused argument or option (ConfigError included) came from the command line: a usage error.
  if (err instanceof InvalidArgumentError) return new CliError(EXIT.usage, err.code, err.message);
  if (err instanceof WorkloadApiError) {
    if (err.code.startsWith("ERR_WORKLOAD_API_ADDRESS")) return new CliError(EXIT.usage, err.code, err.message);
    return new CliError(EXIT.workloadApi, err.code, err.message);
  }
  if (err instanceof SpiffeError) return new CliError(EXIT.invalid, err.code, err.message);
  const code = typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "ERR_CLI_FAILURE";
  return new CliError(EXIT.failure, code, err instanceof Error ? err.message : String(err));
}
