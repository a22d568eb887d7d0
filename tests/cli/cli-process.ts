// Runs `src/cli/main.ts` as a child process on the runtime the test runs on (Bun, Node 24, Deno).
import { spawn } from "node:child_process";
import { isDeno, repoFile } from "../examples/example-process.ts";
import { type WatchedChild, watchChild } from "../support/watched-child.ts";

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `spiffe-ts ...args` to completion with `env` added to the environment. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  const entry = repoFile("src/cli/main.ts");
  const argv = isDeno ? ["run", "-A", entry, ...args] : [entry, ...args];
  const base: Record<string, string | undefined> = { ...process.env };
  delete base.SPIFFE_ENDPOINT_SOCKET;
  const child = spawn(process.execPath, argv, { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) => {
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A running `spiffe-ts` (dev-agent, x509 watch): output so far, waiting for output, stopping it. */
export interface RunningCli extends WatchedChild {
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `spiffe-ts ...args`. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const entry = repoFile("src/cli/main.ts");
  const argv = isDeno ? ["run", "-A", entry, ...args] : [entry, ...args];
  const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const watched = watchChild(child, `spiffe-ts ${args.join(" ")}`);
  const stop = async (): Promise<number | null> => {
    if (!watched.done()) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await watched.exited;
    clearTimeout(timer);
    return code;
  };
  return { ...watched, stop };
}
