// A child process whose output the test reads as it comes: stdout/stderr so far, waiting for
// a pattern in stdout (failing early when the child exits), and the exit code.
import type { ChildProcess } from "node:child_process";

/** Output and exit of a child process started with piped stdout and stderr. */
export interface WatchedChild {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed by a signal) once all output was read. */
  readonly exited: Promise<number | null>;
  /** True once the child exited. */
  done(): boolean;
}

/** Watches `child`; `name` says which program in timeout and early-exit messages. */
export function watchChild(child: ChildProcess, name: string): WatchedChild {
  let out = "";
  let err = "";
  let done = false;
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => {
    // 'close', not 'exit': the output is complete once the exit code is known.
    child.once("close", (code) => {
      done = true;
      for (const l of listeners) l();
      resolve(code);
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern} from ${name}; stdout: ${out}; stderr: ${err}`)), timeoutMs);
      const check = (): void => {
        const m = pattern.exec(out);
        if (m) finish(undefined, m);
        else if (done) finish(new Error(`${name} exited before printing ${pattern}; stdout: ${out}; stderr: ${err}`));
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
  return { child, stdout: () => out, stderr: () => err, waitFor, exited, done: () => done };
}
