// Runs an example program as a child process on the runtime the test runs on (Bun, Node 24
// or Deno), and a development Workload API per workload (one shared test CA) to run it against.
import { spawn } from "node:child_process";
import { type WatchedChild, watchChild } from "../support/watched-child.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestCa, startWorkloadApiServer, type WorkloadApiServer } from "../../src/testing/mod.ts";

/** True when the tests run on Deno. */
export const isDeno: boolean = (globalThis as { Deno?: unknown }).Deno !== undefined;

/** Absolute path of a file of the repository, e.g. `examples/client/client.ts`. */
export function repoFile(path: string): string {
  return fileURLToPath(new URL(`../../${path}`, import.meta.url));
}

/** True when the tests run on Bun. */
const isBun: boolean = (globalThis as { Bun?: unknown }).Bun !== undefined;

/**
 * The arguments that run the example `file` on the runtime running the test. The examples import
 * the package by name (`@spiffe-ts/sdk/node`, …): Bun resolves it to the sources through
 * tsconfig.json `paths`, Deno through deno.json's name and exports, and Node through the module
 * hook below (without it Node would load the built dist/ that package.json's exports name).
 */
export function exampleArgs(file: string): string[] {
  if (isDeno) return ["run", "-A", repoFile(file)];
  if (isBun) return [repoFile(file)];
  return ["--import", repoFile("tests/support/register-package-source.mjs"), repoFile(file)];
}

/** A running example: its output so far, waiting for a line, stopping it. */
export interface ExampleProcess extends WatchedChild {
  /** Sends `signal` and waits for the exit; SIGKILL after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `file` (an example's entry point) with `env` added to the environment. */
export function startExample(file: string, env: Record<string, string>): ExampleProcess {
  const child = spawn(process.execPath, exampleArgs(file), { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const watched = watchChild(child, file);
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> => {
    if (!watched.done()) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await watched.exited;
    clearTimeout(timer);
    return code;
  };
  return { ...watched, stop };
}

/** Runs `file` to completion. */
export async function runExample(file: string, env: Record<string, string>, timeoutMs = 30_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const p = startExample(file, env);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
  const status = await p.exited;
  clearTimeout(timer);
  return { status, stdout: p.stdout(), stderr: p.stderr() };
}

/** Development Workload APIs for the example workloads, in a temporary directory. */
export interface Agents {
  readonly server: WorkloadApiServer;
  readonly client: WorkloadApiServer;
  /** A workload of the same trust domain that the examples' servers are told not to allow. */
  readonly intruder: WorkloadApiServer;
  stop(): Promise<void>;
}

export async function startAgents(): Promise<Agents> {
  const dir = mkdtempSync(join(tmpdir(), "spiffe-ts-examples-"));
  const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
  const start = (name: string): Promise<WorkloadApiServer> =>
    startWorkloadApiServer({ socketPath: join(dir, `${name}.sock`), ca, workloads: [{ id: `spiffe://example.org/${name}` }] });
  const [server, client, intruder] = await Promise.all([start("server"), start("client"), start("intruder")]);
  return {
    server,
    client,
    intruder,
    stop: async () => {
      await Promise.all([server.stop(), client.stop(), intruder.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
