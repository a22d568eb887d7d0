// Runs `src/cli/main.ts` as a child process on the runtime the test runs on (Bun, Node 24, Deno).
import { spawn } from "node:child_process";
import { isDeno, repoFile } from "../examples/example-process.ts";

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
export interface RunningCli {
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `spiffe-ts ...args`. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const entry = repoFile("src/cli/main.ts");
  const argv = isDeno ? ["run", "-A", entry, ...args] : [entry, ...args];
  const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(out);
      if (m) return m;
      if (done || Date.now() > deadline) throw new Error(`no ${pattern} in output; stdout: ${out}; stderr: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<number | null> => {
    if (!done) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { stdout: () => out, stderr: () => err, waitFor, exited, stop };
}
