// The proxies' X509Source: `--address`/SPIFFE_ENDPOINT_SOCKET, `--timeout` for the first SVID,
// `--hint` to pick one of several SVIDs (SPIRE sends one per matching entry).
import type { WorkloadApiError } from "../../core/errors/workload-api-error.ts";
import { WorkloadApiClient, X509Source } from "../../adapters/shared/workload-api.ts";
import { CliError, EXIT, type Io, type ParsedArgs, parseDuration, stringFlag } from "../command.ts";
import { toCliError } from "../workload-api.ts";
import type { ProxyEvents } from "./proxy-events.ts";

/** Flags for the SVID source, shared by `proxy server` and `proxy client`. */
export const SOURCE_OPTIONS = {
  address: { type: "string" },
  timeout: { type: "string" },
  hint: { type: "string" },
} as const;

export const SOURCE_HELP = `  --address ADDR     Workload API address (unix:///path or tcp://IP:port); default $SPIFFE_ENDPOINT_SOCKET
  --timeout DURATION how long to wait for the first X.509-SVID at start (default 30s)
  --hint HINT        present the SVID with this hint when the agent sends several (default: the first)`;

/**
 * Opens an X509Source for the proxy (rotations are picked up while it runs) and reports
 * through `events` the problems it recovers from (a dropped update, a reconnect) and each
 * rotation ("<who>: now presenting …"). `close()` stops the reports and closes the source.
 */
export async function x509SourceFromFlags(args: ParsedArgs, io: Io, events: ProxyEvents, who: string): Promise<{ source: X509Source; close(): Promise<void> }> {
  const onError = (err: WorkloadApiError): void => events.problem("workload-api", `Workload API: ${err.message} (keeping the current SVID)`, { code: err.code, message: err.message });
  const address = stringFlag(args, "address");
  const hint = stringFlag(args, "hint");
  const timeoutMs = parseDuration("timeout", stringFlag(args, "timeout") ?? "30s");
  if (timeoutMs <= 0) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--timeout must be more than 0");
  if (address === undefined && !io.env.SPIFFE_ENDPOINT_SOCKET) {
    throw new CliError(EXIT.usage, "ERR_CLI_NO_ADDRESS", "no Workload API address: pass --address unix:///path/to/agent.sock or set SPIFFE_ENDPOINT_SOCKET");
  }
  let client: WorkloadApiClient | undefined;
  try {
    client = new WorkloadApiClient({
      ...(address === undefined ? { env: io.env } : { address }),
      ...(hint === undefined ? {} : { picker: (svids) => svids.find((s) => s.hint === hint) }),
    });
    const source = await X509Source.create({ client, timeoutMs, signal: io.signal, onError });
    const stopReports = source.onUpdate(({ svid }) =>
      events.info("rotated", `${who}: now presenting ${svid.id} (serial ${svid.serialNumber}, expires ${svid.expiresAt.toISOString()})`, { spiffeId: svid.id.toString(), serialNumber: svid.serialNumber, expiresAt: svid.expiresAt.toISOString() }),
    );
    const owned = client;
    // The source does not close a client it was given: close both together.
    return { source, close: async () => (stopReports(), await source.close(), await owned.close()) };
  } catch (err) {
    await client?.close();
    throw toCliError(err); // a missing hint shows as "the picker chose none of …" in the timeout's message
  }
}
