import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCa } from "../../testing/test-ca.ts";
import { startWorkloadApiServer } from "../../testing/workload-api-server.ts";
import { CliError, type Command, EXIT, listFlag, parseDuration, printJson, stringFlag } from "../command.ts";
import { waitForSignal } from "../proxy/wait-for-signal.ts";
import { toCliError } from "../workload-api.ts";

/** `spiffe-ts dev-agent`: the development Workload API server, until SIGINT/SIGTERM. */
export const devAgent: Command = {
  name: ["dev-agent"],
  summary: "run a development Workload API (test CA, in-memory; never for production)",
  usage: "[--trust-domain TD] [--workload ID]... [--ttl DURATION] [--rotate DURATION] [--socket PATH | --tcp-port PORT] [--json]",
  help: `  --trust-domain TD  trust domain of the test CA (default example.org)
  --workload ID      SPIFFE ID served to every caller (repeatable; default spiffe://TD/workload)
  --ttl DURATION     X.509-SVID and JWT-SVID lifetime (default 1h)
  --rotate DURATION  issue new SVIDs this often (default: never)
  --socket PATH      Unix socket to listen on (default: a new temporary directory)
  --tcp-port PORT    listen on tcp://127.0.0.1:PORT instead
Prints SPIFFE_ENDPOINT_SOCKET=<address> (with --json: {address, trustDomain, workloads}) once ready.`,
  options: { "trust-domain": { type: "string" }, workload: { type: "string", multiple: true }, ttl: { type: "string" }, rotate: { type: "string" }, socket: { type: "string" }, "tcp-port": { type: "string" } },
  async run(args, io) {
    const trustDomain = stringFlag(args, "trust-domain") ?? "example.org";
    const workloads = listFlag(args, "workload");
    if (workloads.length === 0) workloads.push(`spiffe://${trustDomain}/workload`);
    const ttl = stringFlag(args, "ttl");
    const rotate = stringFlag(args, "rotate");
    const tcp = stringFlag(args, "tcp-port");
    const socket = stringFlag(args, "socket");
    if (tcp !== undefined && socket !== undefined) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--socket and --tcp-port are exclusive");
    if (tcp !== undefined && !/^\d{1,5}$/.test(tcp)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--tcp-port: expected a port number, got ${JSON.stringify(tcp)}`);
    const ttlMs = ttl === undefined ? undefined : parseDuration("ttl", ttl);
    const rotateMs = rotate === undefined ? undefined : parseDuration("rotate", rotate);
    let server;
    try {
      const ca = await createTestCa({ trustDomain });
      server = await startWorkloadApiServer({
        ca,
        workloads: workloads.map((id) => ({ id })),
        ...(tcp === undefined ? { socketPath: socket ?? join(mkdtempSync(join(tmpdir(), "spiffe-ts-dev-agent-")), "agent.sock") } : { tcpPort: Number(tcp) }),
        ...(ttlMs === undefined ? {} : { svidTtlMs: ttlMs, jwtSvidTtlMs: ttlMs }),
        ...(rotateMs === undefined ? {} : { rotateEveryMs: rotateMs }),
      });
    } catch (err) {
      const e = toCliError(err);
      throw e.exitCode === EXIT.invalid ? new CliError(EXIT.usage, e.code, e.message) : e;
    }
    if (args.json) printJson(io, { address: server.address, trustDomain, workloads });
    else io.out(`SPIFFE_ENDPOINT_SOCKET=${server.address}\n`);
    await waitForSignal(io.signal);
    await server.stop();
    return 0;
  },
};
