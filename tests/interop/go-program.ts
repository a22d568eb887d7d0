// The go-spiffe side of the interoperability tests: builds tests/interop/go (its own go.mod,
// pinned go-spiffe) with `go build` into a cache outside the work tree, keyed by a hash of its
// sources, and runs it as a child process on whichever runtime runs the tests.
import { spawn, spawnSync } from "node:child_process";
import { type WatchedChild, watchChild } from "../support/watched-child.ts";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE_DIR = fileURLToPath(new URL("./go/", import.meta.url));

/** `go version`, or undefined when Go is not on the PATH. */
export function goVersion(): string | undefined {
  const r = spawnSync("go", ["version"], { encoding: "utf8" });
  return r.error || r.status !== 0 ? undefined : r.stdout.trim();
}

/** The go-spiffe version pinned in tests/interop/go/go.mod. */
export function goSpiffeVersion(): string {
  return /github\.com\/spiffe\/go-spiffe\/v2 (v\S+)/.exec(readFileSync(join(SOURCE_DIR, "go.mod"), "utf8"))?.[1] ?? "unknown";
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/spiffe-ts/<name>`. */
export function cacheDir(name: string): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "spiffe-ts", name);
}

/** Path of the built interop program, built first when its sources changed; undefined without Go. */
export function buildGoProgram(): string | undefined {
  if (!goVersion()) return undefined;
  const hash = createHash("sha256");
  for (const f of readdirSync(SOURCE_DIR).filter((n) => /\.(go|mod|sum)$/.test(n)).sort()) hash.update(f).update("\0").update(readFileSync(join(SOURCE_DIR, f))).update("\0");
  const dir = cacheDir("interop");
  const bin = join(dir, `interop-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync("go", ["build", "-o", tmp, "."], { cwd: SOURCE_DIR, encoding: "utf8", env: { ...process.env, GOFLAGS: "-buildvcs=false" }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`go build of tests/interop/go failed (exit ${r.status}): ${r.stderr || r.error}`);
  renameSync(tmp, bin);
  return bin;
}

/** A running go program: its stdout lines, waiting for one, stopping it. */
export interface GoProcess extends WatchedChild {
  stop(): Promise<number | null>;
}

/** Starts `bin` with `args`; `input`, when given, is written to its stdin, which is then closed. */
export function startGo(bin: string, args: readonly string[], input?: string, env: Record<string, string> = {}): GoProcess {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  const watched = watchChild(child, `go ${args[0]}`);
  child.stdin!.on("error", () => {}); // the program may exit before reading it
  if (input !== undefined) child.stdin!.end(input);
  const stop = async (): Promise<number | null> => {
    if (!watched.done()) child.kill("SIGKILL");
    return watched.exited;
  };
  return { ...watched, stop };
}

/** Runs `bin` with `args` to completion (killed after `timeoutMs`). */
export async function runGo(bin: string, args: readonly string[], input?: string, timeoutMs = 30_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const p = startGo(bin, args, input ?? "");
  const timer = setTimeout(() => void p.stop(), timeoutMs);
  const status = await p.exited;
  clearTimeout(timer);
  return { status, stdout: p.stdout(), stderr: p.stderr() };
}
