#!/usr/bin/env node
// `npm run check:generated`: regenerates the protobuf code into a temporary directory with the
// repository's buf.gen.yaml and fails (exit 1, with a summary) if `gen/` differs from it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "spiffe-ts-gen-"));

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...listFiles(p));
    else if (statSync(p).isFile()) files.push(relative(dir, p));
  }
  return files.sort();
}

/** First differing line of two texts, for the summary. */
function firstDifference(a, b) {
  const x = a.split("\n"), y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}:\n    gen/:        ${JSON.stringify(x[i] ?? "<end of file>")}\n    regenerated: ${JSON.stringify(y[i] ?? "<end of file>")}`;
  }
  return "identical";
}

try {
  const env = { ...process.env, PATH: `${join(root, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}` };
  const r = spawnSync(join(root, "node_modules", ".bin", "buf"), ["generate", "--output", out], { cwd: root, env, encoding: "utf8" });
  if (r.error || r.status !== 0) {
    console.error(`check:generated: buf generate failed: ${r.error?.message ?? r.stderr}`);
    process.exit(1);
  }
  const genDir = join(root, "gen"), newDir = join(out, "gen");
  const have = listFiles(genDir), want = listFiles(newDir);
  const problems = [];
  for (const f of want) if (!have.includes(f)) problems.push(`missing in gen/: ${f}`);
  for (const f of have) if (!want.includes(f)) problems.push(`not produced by buf generate (stale?): gen/${f}`);
  for (const f of want.filter((f) => have.includes(f))) {
    const a = readFileSync(join(genDir, f), "utf8"), b = readFileSync(join(newDir, f), "utf8");
    if (a !== b) problems.push(`differs: gen/${f} (first difference at ${firstDifference(a, b)})`);
  }
  if (problems.length) {
    console.error(`check:generated: gen/ is out of date; run \`npm run generate\`.\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`check:generated: gen/ is up to date (${want.length} file${want.length === 1 ? "" : "s"}).`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
