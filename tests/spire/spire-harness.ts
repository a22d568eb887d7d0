// A real SPIRE deployment for the tests: a spire-server (SQLite datastore, join-token node
// attestation, in-memory keys) and a spire-agent (unix workload attestor) in a temporary
// directory, on loopback and Unix sockets only; and two such deployments federated over their
// SPIFFE bundle endpoints (startFederatedSpires). The binaries come from
// tests/spire/build-spire.mjs (a pinned release built with Go into a cache outside the work tree).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** The SPIRE release the tests pin, read from tests/spire/build-spire.mjs (its one source of truth). */
export const SPIRE_VERSION: string = (() => {
  const version = /export const SPIRE_VERSION = "(v[^"]+)"/.exec(readFileSync(new URL("./build-spire.mjs", import.meta.url), "utf8"))?.[1];
  if (!version) throw new Error("tests/spire/build-spire.mjs has no `export const SPIRE_VERSION = \"v…\"` line");
  return version;
})();

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
  /** Trust domain IDs (`spiffe://other.test`) whose bundles the workload gets (`-federatesWith`). */
  readonly federatesWith?: readonly string[];
}

/** Federation settings of one server: its own bundle endpoint and the servers it federates with. */
export interface SpireFederation {
  /** Loopback port of this server's SPIFFE bundle endpoint (`https_spiffe` profile). */
  readonly bundleEndpointPort: number;
  /** Refresh hint the bundle endpoint advertises. Default 5 minutes (SPIRE's default). */
  readonly refreshHintSeconds?: number | undefined;
  /** The other servers: trust domain name and bundle endpoint port on 127.0.0.1. */
  readonly federatesWith: readonly { readonly trustDomain: string; readonly bundleEndpointPort: number }[];
  /** Serve the bundle endpoint with the `https_web` profile and this Web-PKI certificate (PEM files) instead of `https_spiffe`. */
  readonly webCertificate?: { readonly certFile: string; readonly keyFile: string };
}

/** Options of {@link startSpire}. */
export interface SpireOptions {
  /** Default `example.org`. */
  readonly trustDomain?: string;
  /** `default_x509_svid_ttl`. Default 60 s. */
  readonly x509SvidTtlSeconds?: number;
  readonly federation?: SpireFederation;
  /** Extra environment of the server process (e.g. `SSL_CERT_FILE`: the Web-PKI roots it trusts for `https_web` endpoints). */
  readonly serverEnv?: Readonly<Record<string, string>>;
}

/** A running SPIRE server and agent. */
export interface Spire {
  readonly dir: string;
  /** The agent's Workload API, `unix:///…/agent.sock`. */
  readonly address: string;
  readonly trustDomain: string;
  /** Loopback port of the server's SPIFFE bundle endpoint (`https_spiffe`), when it has one. */
  readonly bundleEndpointPort: number | undefined;
  /** The parent ID of workload entries (the agent's alias). */
  readonly agentId: string;
  /** Creates entries (the agent serves them after its next sync, within about 5 s). */
  register(entries: readonly SpireEntry[]): void;
  /** Runs `spire-server <args> -socketPath <server socket>` (with `input` on stdin) and returns its stdout; throws on failure. */
  server(args: readonly string[], input?: string): string;
  stopAgent(): Promise<void>;
  startAgent(): Promise<void>;
  /** Both logs, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again at once). */
export async function freePort(): Promise<number> {
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

function federationConfig(f: SpireFederation | undefined): string {
  if (!f) return "";
  const peers = f.federatesWith
    .map(
      (p) => `    federates_with "${p.trustDomain}" {
      bundle_endpoint_url = "https://127.0.0.1:${p.bundleEndpointPort}"
      bundle_endpoint_profile "https_spiffe" {
        endpoint_spiffe_id = "spiffe://${p.trustDomain}/spire/server"
      }
    }
`,
    )
    .join("");
  return `  federation {
    bundle_endpoint {
      address = "127.0.0.1"
      port = ${f.bundleEndpointPort}
      refresh_hint = "${f.refreshHintSeconds ?? 300}s"
${f.webCertificate ? `      profile "https_web" {
        serving_cert_file = {
          cert_file_path = "${f.webCertificate.certFile}"
          key_file_path = "${f.webCertificate.keyFile}"
          file_sync_interval = "1h"
        }
      }` : `      profile "https_spiffe" {}`}
    }
${peers}  }
`;
}

/** Starts SPIRE (server, join token, agent) and waits until both are healthy. */
export async function startSpire(options: SpireOptions = {}): Promise<Spire> {
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
${federationConfig(options.federation)}}
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
  const spireServer = (args: readonly string[], input?: string): string => {
    const all = [...args, "-socketPath", serverSock];
    const r = spawnSync(join(bin, "spire-server"), all, { encoding: "utf8", timeout: 30_000, input: input ?? "" });
    if (r.status !== 0) throw new Error(`spire-server ${all.join(" ")} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const children: ChildProcess[] = [];
  const run = (name: string, args: string[]): ChildProcess => {
    const log = openSync(join(dir, `${name}.log`), "a");
    const env = name === "spire-server" && options.serverEnv ? { ...process.env, ...options.serverEnv } : process.env;
    const child = spawn(join(bin, name), args, { stdio: ["ignore", log, log], env });
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

  const stopChild = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(t);
  };
  const stop = async (): Promise<void> => {
    for (const c of [...children].reverse()) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await start();
  } catch (err) {
    await stop();
    throw err;
  }

  async function start(): Promise<Spire> {
    const server = run("spire-server", ["run", "-config", join(dir, "server.conf")]);
    await waitHealthy("spire-server", serverSock, server);
    const agentId = `spiffe://${td}/test-agent`;
    const token = /Token: (\S+)/.exec(spireServer(["token", "generate", "-spiffeID", agentId, "-ttl", "3600"]))?.[1];
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
    return {
      dir,
      address: `unix://${agentSock}`,
      trustDomain: td,
      bundleEndpointPort: options.federation?.bundleEndpointPort,
      agentId,
      register(entries) {
        for (const e of entries) {
          const args = ["entry", "create", "-parentID", agentId, "-spiffeID", e.spiffeId];
          for (const s of e.selectors) args.push("-selector", s);
          for (const f of e.federatesWith ?? []) args.push("-federatesWith", f);
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
      server: spireServer,
      logs,
      stop,
    };
  }
}

/** One side of {@link startFederatedSpires}. */
export interface FederatedSpireOptions {
  readonly trustDomain: string;
  readonly x509SvidTtlSeconds?: number;
  /** Refresh hint of this server's bundle endpoint. Default 5 minutes. */
  readonly refreshHintSeconds?: number;
}

/**
 * Starts two federated SPIRE deployments (server + agent each, own sockets and temp dirs), each
 * server with an `https_spiffe` SPIFFE bundle endpoint on loopback that federates with the other.
 * The first bundle of each peer is set out of band (`bundle show -format spiffe` → `bundle set`),
 * as SPIFFE federation requires for `https_spiffe`; then each server fetches the peer's bundle
 * from its bundle endpoint (`federation refresh`, rather than wait for SPIRE's one-minute retry).
 */
export async function startFederatedSpires(a: FederatedSpireOptions, b: FederatedSpireOptions): Promise<[Spire, Spire]> {
  const portA = await freePort();
  let portB = await freePort();
  while (portB === portA) portB = await freePort();
  const [spireA, spireB] = await Promise.all([
    startSpire({ ...a, federation: { bundleEndpointPort: portA, refreshHintSeconds: a.refreshHintSeconds, federatesWith: [{ trustDomain: b.trustDomain, bundleEndpointPort: portB }] } }),
    startSpire({ ...b, federation: { bundleEndpointPort: portB, refreshHintSeconds: b.refreshHintSeconds, federatesWith: [{ trustDomain: a.trustDomain, bundleEndpointPort: portA }] } }),
  ].map((p) => p.catch((err: unknown) => err as Error)));
  const failed = [spireA, spireB].find((s) => s instanceof Error);
  if (failed) {
    for (const s of [spireA, spireB]) if (!(s instanceof Error)) await s!.stop();
    throw failed;
  }
  const [x, y] = [spireA as Spire, spireB as Spire];
  try {
    y.server(["bundle", "set", "-format", "spiffe", "-id", `spiffe://${a.trustDomain}`], x.server(["bundle", "show", "-format", "spiffe"]));
    x.server(["bundle", "set", "-format", "spiffe", "-id", `spiffe://${b.trustDomain}`], y.server(["bundle", "show", "-format", "spiffe"]));
    x.server(["federation", "refresh", "-id", `spiffe://${b.trustDomain}`]);
    y.server(["federation", "refresh", "-id", `spiffe://${a.trustDomain}`]);
  } catch (err) {
    await Promise.all([x.stop(), y.stop()]);
    throw new Error(`federating ${a.trustDomain} and ${b.trustDomain} failed: ${(err as Error).message}\n${x.logs()}\n${y.logs()}`);
  }
  return [x, y];
}

/**
 * Runs `spire-server <args>` against `spire`'s server without blocking the event loop (unlike
 * `spire.server()`): for commands that make SPIRE call back into this process, such as
 * `federation refresh` of a bundle endpoint the test serves. Resolves with the exit code and output.
 */
export function spireServerAsync(spire: Spire, args: readonly string[]): Promise<{ status: number | null; output: string }> {
  const child = spawn(join(spireBinDir()!, "spire-server"), [...args, "-socketPath", join(spire.dir, "server.sock")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  return new Promise((resolve) => child.once("close", (status) => resolve({ status, output })));
}
