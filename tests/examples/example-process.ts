// Runs an example program as a child process on the runtime the test runs on (Bun, Node 24
// or Deno), and a development Workload API per workload (one shared test CA) to run it against.
import { type ChildProcess, spawn } from "node:child_process";
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

/** A running example: its output so far, waiting for a line, stopping it. */
export interface ExampleProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Sends `signal` and waits for the exit; SIGKILL after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `file` (an example's entry point) with `env` added to the environment. */
export function startExample(file: string, env: Record<string, string>): ExampleProcess {
  const args = isDeno ? ["run", "-A", repoFile(file)] : [repoFile(file)];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      done = true;
      for (const l of listeners) l();
      resolve(code);
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern} in ${file}; stdout: ${out}; stderr: ${err}`)), timeoutMs);
      const check = (): void => {
        const m = pattern.exec(out);
        if (m) finish(undefined, m);
        else if (done) finish(new Error(`${file} exited before printing ${pattern}; stdout: ${out}; stderr: ${err}`));
      };
      const finish = (e?: Error, m?: RegExpMatchArray): void => {
        clearTimeout(timer);
        listeners.delete(check);
        if (e) reject(e);
        else resolve(m!);
      };
      listeners.add(check);
      check();
    });
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> => {
    if (!done) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, stdout: () => out, stderr: () => err, waitFor, exited, stop };
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
