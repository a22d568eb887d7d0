#!/usr/bin/env node
// Builds a pinned SPIRE release (spire-server, spire-agent) with Go into a cache outside the
// work tree, reused when present. Prints the bin directory on stdout (last line), or exits 3 with
// a one-line "skip:" reason on stderr when Go is missing.
// Usage: node tests/spire/build-spire.mjs
//
// The module proxy lists no versions for github.com/spiffe/spire (it is a program, not a library),
// so `go install ...@version` is refused; instead a throwaway module in the cache pins the release
// with `go get -tool` and `go build` builds the two commands from it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

// The one place the pinned SPIRE release is written: tests/spire/spire-harness.ts reads this line.
export const SPIRE_VERSION = "v1.13.3";

/** The cache directory for SPIRE builds (outside the work tree). */
export function spireCacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "spiffe-ts", "spire", SPIRE_VERSION);
}

/** Returns the directory holding spire-server and spire-agent, building them first if needed. */
export function buildSpire(log = (m) => process.stderr.write(`${m}\n`)) {
  const dir = spireCacheDir();
  const bin = join(dir, "bin");
  if (existsSync(join(bin, "spire-server")) && existsSync(join(bin, "spire-agent"))) return { bin, built: false };
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.error || go.status !== 0) return { skip: "Go is not installed (needed to build SPIRE); install Go >= 1.26" };
  const mod = join(dir, "mod");
  rmSync(mod, { recursive: true, force: true });
  mkdirSync(mod, { recursive: true });
  writeFileSync(join(mod, "go.mod"), "module spiffe-ts.local/spire-build\n\ngo 1.26\n");
  const env = { ...process.env, GOFLAGS: "-buildvcs=false", CGO_ENABLED: "1" };
  const started = Date.now();
  const steps = [
    ["get", "-tool", `github.com/spiffe/spire/cmd/spire-server@${SPIRE_VERSION}`],
    ["get", "-tool", `github.com/spiffe/spire/cmd/spire-agent@${SPIRE_VERSION}`],
    ["build", "-o", join(bin, "spire-server"), "github.com/spiffe/spire/cmd/spire-server"],
    ["build", "-o", join(bin, "spire-agent"), "github.com/spiffe/spire/cmd/spire-agent"],
  ];
  mkdirSync(bin, { recursive: true });
  for (const args of steps) {
    log(`build-spire: go ${args.join(" ")}`);
    const r = spawnSync("go", args, { cwd: mod, env, stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`go ${args.join(" ")} failed (exit ${r.status})`);
  }
  log(`build-spire: built SPIRE ${SPIRE_VERSION} in ${((Date.now() - started) / 1000).toFixed(0)} s into ${bin}`);
  return { bin, built: true };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = buildSpire();
  if (r.skip) {
    console.error(`skip: ${r.skip}`);
    process.exit(3);
  }
  console.log(r.bin);
}
