// Every shell command in README.md, docs/*.md and the READMEs of examples/ and deploy/ either
// runs here as written, or says why it cannot. Each command line gets one verdict from RULES
// (a line no rule covers fails the test, so a new command forces a decision):
//   run         run to completion, exit 0;
//   background  a server or agent: started, probed (its ready line, then the block's next
//               commands talk to it) and stopped at the end of its block;
//   not-run     with the reason: the registry, Docker, a Kubernetes cluster or SPIRE, or a
//               placeholder. Such `spiffe-ts` lines are parsed by the CLI's own parser in
//               cli-lines.test.ts, and deploy/ files are checked by tests/deploy.
// A block with a run or background line is run as one bash script in the checkout, the way a
// reader pastes it into a terminal, with these changes only: `/tmp/spiffe-ts-dev` (the
// development agent's directory) becomes a temporary directory, and the servers' fixed ports
// (8443 and up, 8080 and up: in SERVER_ADDRESS, SERVER_URL, HEALTH_ADDRESS, and their
// defaults) become free ones, because other test runs share this machine. Node resolves `@spiffe-ts/sdk` through package.json's exports
// to dist/, which `npm install` builds: it is rebuilt here first when older than the sources.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CommandLine, commandLines, markdownWithCommands, root } from "./shell-blocks.ts";

type Verdict = { readonly kind: "run" } | { readonly kind: "background"; readonly ready: RegExp } | { readonly kind: "not-run"; readonly why: string };

const run: Verdict = { kind: "run" };
const server: Verdict = { kind: "background", ready: /listening on https:\/\/\S+/ };
const notRun = (why: string): Verdict => ({ kind: "not-run", why });
const REGISTRY = notRun("installs or runs the package from the npm/JSR registry (network)");
const CLUSTER = notRun("needs Docker or a Kubernetes cluster with SPIRE; deploy/ is checked by tests/deploy");
const CLI_PARSED = notRun("needs a Workload API, an app or hosts of the reader's; parsed by the CLI's own parser in cli-lines.test.ts");

/** The verdict of a command (leading VAR=value assignments removed), first match wins. */
const RULES: ReadonlyArray<readonly [RegExp, Verdict]> = [
  [/^npm install && npm run demo$/, run], // run without its `npm install`: the checkout running this test is installed
  [/^npm run demo$/, run],
  [/^npm test$|^npm run test:/, notRun("the test suite itself (and Go or a SPIRE build for test:interop / test:spire)")],
  [/^npm run dev-agent( &)?$/, { kind: "background", ready: /ready; Ctrl-C to stop/ }],
  [/^npm run harness:(node|bun|deno)$/, notRun("started by a conformance suite, which gives it SPIFFE_ENDPOINT_SOCKET; tests/examples/conformance-harness.test.ts runs it")],
  [/^npm install @spiffe-ts\/sdk|^deno add jsr:|^bunx @spiffe-ts\/sdk|^deno run -A npm:@spiffe-ts\/sdk/, REGISTRY],
  [/^npx (bun|node|deno run [^]*?) examples\/[\w-]+\/server\.ts( &)?$/, server],
  [/^npx (bun|node|deno run [^]*?) examples\/[\w-]+\/client\.ts$/, run],
  [/^npx (bun |deno run -A )?src\/cli\/main\.ts --help$|^npx spiffe-ts (--help|--version)$/, run],
  [/^deploy\/spire\/register\.sh --dry-run/, run],
  [/^deploy\/spire\/register\.sh /, notRun("needs a SPIRE server (SPIRE_SERVER); the --dry-run line shows its commands")],
  [/^(docker|kubectl|helm|kind|minikube) /, CLUSTER],
  [/^(npx )?spiffe-ts /, CLI_PARSED],
  [/^TOKEN=\$\((npx )?spiffe-ts /, CLI_PARSED],
  [/^export [A-Z_]+=\S+$/, run],
  [/^curl /, notRun("calls the reader's app through the proxies shown above it")],
  [/^deno run (--allow-[\w=:/.,-]+ )+main\.ts$/, notRun("the reader's own program (main.ts); shows the Deno permissions the Workload API needs")],
];

const withoutAssignments = (command: string): string => command.replace(/^(?:[A-Z_]+=(?:"[^"]*"|'[^']*'|(?!\$\()\S*) +)+/, "");
const verdictOf = (line: CommandLine): Verdict | undefined => RULES.find(([re]) => re.test(withoutAssignments(line.command)))?.[1];

const lines = markdownWithCommands().flatMap(commandLines);

/** A free loopback port (closed again: the server under test binds it next). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Newest modification time under `dir` of files ending in `ext`. */
function newest(dir: string, ext: string): number {
  let latest = 0;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ext)) latest = Math.max(latest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return latest;
}

/** `npm run build` unless dist/ is newer than every source (npm install builds it; so does this). */
function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(join(root, "dist", "mod.js")).mtimeMs;
  } catch {
    built = 0;
  }
  if (built > Math.max(newest("src", ".ts"), newest("gen", ".ts"), statSync(join(root, "mod.ts")).mtimeMs)) return;
  const r = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

/** The bash script of one block: background lines started in their own process group and awaited, the rest run with `set -e`. */
async function script(block: readonly CommandLine[], dir: string): Promise<string> {
  const ports = new Map<string, number>();
  for (const line of block) for (const m of line.command.matchAll(/:(8[04]\d\d)\b/g)) if (!ports.has(m[1]!)) ports.set(m[1]!, await freePort());
  for (const fixed of ["8443", "8080"]) if (!ports.has(fixed)) ports.set(fixed, await freePort());
  const port = ports.get("8443")!;
  const healthPort = ports.get("8080")!;
  const out = [
    "set -euo pipefail",
    `export DEV_AGENT_DIR=${dir} SERVER_ADDRESS=127.0.0.1:${port} HEALTH_ADDRESS=127.0.0.1:${healthPort} SERVER_URL=https://127.0.0.1:${port}`,
    "groups=()",
    'stop() { for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done; wait 2>/dev/null || true; }',
    "trap stop EXIT",
    // ready PATTERN LOG PID: wait (30 s at most) for PATTERN in LOG while PID lives
    'ready() { for _ in $(seq 300); do grep -qE "$1" "$2" && return 0; kill -0 "$3" 2>/dev/null || break; sleep 0.1; done; echo "not ready: $2" >&2; cat "$2" >&2; return 1; }',
  ];
  block.forEach((line, i) => {
    const verdict = verdictOf(line)!;
    const command = line.command
      .replace(/^npm install && /, "")
      .replaceAll("/tmp/spiffe-ts-dev", dir)
      .replace(/:(8[04]\d\d)\b/g, (_, fixed: string) => `:${ports.get(fixed)}`)
      .replace(/ &$/, "");
    if (verdict.kind !== "not-run" && /\bnpm (install|i|ci|add)\b/.test(command)) throw new Error(`refusing to run an install: ${command}`);
    if (verdict.kind === "not-run") out.push(`# not run (${verdict.why}): ${command}`);
    else if (verdict.kind === "run") out.push(command);
    else {
      const log = `${dir}/background-${i}.log`;
      out.push(`setsid bash -c ${JSON.stringify(command).replaceAll("$", "\\$")} > ${log} 2>&1 &`, "groups+=($!)", `ready ${JSON.stringify(verdict.ready.source)} ${log} $!`);
    }
  });
  return `${out.join("\n")}\n`;
}

const heavy = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

describe("shell commands in the docs", () => {
  test("there are some in README.md, docs/ and every example README", () => {
    const files = new Set(lines.map((l) => l.file));
    for (const f of ["README.md", "docs/cli.md", "docs/deployment.md", "examples/bun-server/README.md", "examples/node-server/README.md", "examples/deno-server/README.md", "examples/hono/README.md", "examples/client/README.md"]) {
      expect({ f, has: files.has(f) }).toEqual({ f, has: true });
    }
  });

  test("every command line has a verdict: run, background, or not run with a reason", () => {
    expect(lines.filter((l) => !verdictOf(l)).map((l) => `${l.file}: ${l.command}`)).toEqual([]);
  });

  test("the example READMEs and the README's set-up are runnable, not only described", () => {
    const runnable = new Set(lines.filter((l) => verdictOf(l)?.kind !== "not-run").map((l) => l.file));
    for (const f of ["README.md", "examples/bun-server/README.md", "examples/node-server/README.md", "examples/deno-server/README.md", "examples/hono/README.md", "examples/client/README.md", "examples/grpc/README.md", "examples/jwt-over-tls/README.md"]) {
      expect({ f, runnable: runnable.has(f) }).toEqual({ f, runnable: true });
    }
  });

  if (heavy) {
    const blocks = new Map<string, CommandLine[]>();
    for (const line of lines) blocks.set(`${line.file} #${line.block + 1}`, [...(blocks.get(`${line.file} #${line.block + 1}`) ?? []), line]);
    for (const [name, block] of blocks) {
      // blocks with nothing to run but an `export` are covered by their not-run verdicts
      if (!block.every((l) => verdictOf(l)) || block.every((l) => verdictOf(l)!.kind === "not-run" || /^export /.test(l.command))) continue;
      test(`${name} runs as written: ${block.filter((l) => verdictOf(l)!.kind !== "not-run").map((l) => withoutAssignments(l.command).slice(0, 60)).join(" ; ")}`, async () => {
        ensureBuilt();
        const dir = mkdtempSync(join(tmpdir(), "spiffe-ts-docs-"));
        try {
          const text = await script(block, dir);
          const r = spawnSync("bash", ["-c", text], { cwd: root, encoding: "utf8", timeout: 55_000 });
          expect({ status: r.status, output: r.status === 0 ? "" : `${text}\n--- output ---\n${r.stdout}${r.stderr}` }).toEqual({ status: 0, output: "" });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
