// A real SPIRE deployment for the tests: a spire-server (SQLite datastore, join-token node
// attestation, in-memory keys) and a spire-agent (unix workload attestor) in a temporary
// directory, on loopback and Unix sockets only. The binaries come from tests/spire/build-spire.mjs
// (a pinned release built with Go into a cache outside the work tree).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** The SPIRE release the tests pin (keep in step with tests/spire/build-spire.mjs). */
export const SPIRE_VERSION = "v1.13.3";

/** Directory of the built spire-server and spire-agent, or undefined when they are not built. */
export function spireBinDir(): string | undefined {
  const bin = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "spiffe-ts", "spire", SPIRE_VERSION, "bin");
  return existsSync(join(bin, "spire-server")) && existsSync(join(bin, "spire-agent")) ? bin : undefined;
}

/** One registration entry (`spire-server entry create`). */
export interface SpireEntry {
  readonly spiffeId: string;
  /** e.g. `unix:uid:0`, `unix:path:/usr/bin/node`. */
  readonly selectors: readonly string[];
  readonly hint?: string;
  readonly x509SvidTtlSeconds?: number;
  readonly jwtSvidTtlSeconds?: number;
}

/** A running SPIRE server and agent. */
export interface Spire {
  readonly dir: string;
  /** The agent's Workload API, `unix:///…/agent.sock`. */
  readonly address: string;
  readonly trustDomain: string;
  /** The parent ID of workload entries (the agent's alias). */
  readonly agentId: string;
  /** Creates entries and waits until the agent has synced them (the Workload API serves them). */
  register(entries: readonly SpireEntry[]): void;
  stopAgent(): Promise<void>;
  startAgent(): Promise<void>;
  /** Both logs, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts SPIRE (server, join token, agent) and waits until both are healthy. */
export async function startSpire(options: { trustDomain?: string; x509SvidTtlSeconds?: number } = {}): Promise<Spire> {
  const bin = spireBinDir();
  if (!bin) throw new Error("SPIRE is not built: run `node tests/spire/build-spire.mjs` (npm run test:spire does)");
  const td = options.trustDomain ?? "example.org";
  const dir = mkdtempSync(join(tmpdir(), "spiffe-ts-spire-"));
  const serverSock = join(dir, "server.sock");
  const agentSock = join(dir, "agent.sock");
  const port = await freePort();
  const ttl = options.x509SvidTtlSeconds ?? 60;
  writeFileSync(
    join(dir, "server.conf"),
    `server {
  bind_address = "127.0.0.1"
  bind_port = "${port}"
  socket_path = "${serverSock}"
  trust_domain = "${td}"
  data_dir = "${join(dir, "server-data")}"
  log_level = "INFO"
  ca_ttl = "24h"
  default_x509_svid_ttl = "${ttl}s"
  default_jwt_svid_ttl = "5m"
}
plugins {
  DataStore "sql" {
    plugin_data {
      database_type = "sqlite3"
      connection_string = "${join(dir, "datastore.sqlite3")}"
    }
  }
  KeyManager "memory" {
    plugin_data {}
  }
  NodeAttestor "join_token" {
    plugin_data {}
  }
}
`,
  );
  const spireServer = (args: string[]): string => {
    const r = spawnSync(join(bin, "spire-server"), args, { encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`spire-server ${args.join(" ")} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const children: ChildProcess[] = [];
  const run = (name: string, args: string[]): ChildProcess => {
    const log = openSync(join(dir, `${name}.log`), "a");
    const child = spawn(join(bin, name), args, { stdio: ["ignore", log, log] });
    children.push(child);
    return child;
  };
  const waitHealthy = async (name: string, sock: string, child: ChildProcess): Promise<void> => {
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${logs()}`);
      if (spawnSync(join(bin, name), ["healthcheck", "-socketPath", sock], { timeout: 10_000 }).status === 0) return;
      await sleep(100);
    }
    throw new Error(`${name} did not become healthy within 30 s: ${logs()}`);
  };
  const logs = (): string =>
    ["spire-server", "spire-agent"].map((n) => (existsSync(join(dir, `${n}.log`)) ? `--- ${n}.log ---\n${readFileSync(join(dir, `${n}.log`), "utf8").slice(-4000)}` : "")).join("\n");

  const server = run("spire-server", ["run", "-config", join(dir, "server.conf")]);
  await waitHealthy("spire-server", serverSock, server);
  const agentId = `spiffe://${td}/test-agent`;
  const token = /Token: (\S+)/.exec(spireServer(["token", "generate", "-socketPath", serverSock, "-spiffeID", agentId, "-ttl", "3600"]))?.[1];
  if (!token) throw new Error("spire-server token generate printed no token");
  writeFileSync(
    join(dir, "agent.conf"),
    `agent {
  data_dir = "${join(dir, "agent-data")}"
  log_level = "INFO"
  server_address = "127.0.0.1"
  server_port = "${port}"
  socket_path = "${agentSock}"
  trust_domain = "${td}"
  insecure_bootstrap = true
  join_token = "${token}"
}
plugins {
  NodeAttestor "join_token" {
    plugin_data {}
  }
  KeyManager "disk" {
    plugin_data {
      directory = "${join(dir, "agent-data")}"
    }
  }
  WorkloadAttestor "unix" {
    plugin_data {
      discover_workload_path = true
    }
  }
}
`,
  );
  let agent = run("spire-agent", ["run", "-config", join(dir, "agent.conf")]);
  await waitHealthy("spire-agent", agentSock, agent);

  const stopChild = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(t);
  };
  return {
    dir,
    address: `unix://${agentSock}`,
    trustDomain: td,
    agentId,
    register(entries) {
      for (const e of entries) {
        const args = ["entry", "create", "-socketPath", serverSock, "-parentID", agentId, "-spiffeID", e.spiffeId];
        for (const s of e.selectors) args.push("-selector", s);
        if (e.hint) args.push("-hint", e.hint);
        if (e.x509SvidTtlSeconds) args.push("-x509SVIDTTL", String(e.x509SvidTtlSeconds));
        if (e.jwtSvidTtlSeconds) args.push("-jwtSVIDTTL", String(e.jwtSvidTtlSeconds));
        spireServer(args);
      }
    },
    async stopAgent() {
      await stopChild(agent);
    },
    async startAgent() {
      // the agent's data dir (disk KeyManager) keeps its SVID and key: no new join token needed
      agent = run("spire-agent", ["run", "-config", join(dir, "agent.conf")]);
      await waitHealthy("spire-agent", agentSock, agent);
    },
    logs,
    async stop() {
      for (const c of [...children].reverse()) await stopChild(c);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
