// The root entry is Web-only: no file reachable from mod.ts (followed into node_modules
// packages, as a bundler would) imports a runtime module (node:*, a bare Node builtin, bun,
// bun:*) or touches the Bun or Deno globals. The same walk over a runtime entry finds its
// node:* imports, which shows the check can fail.
import { describe, expect, test } from "bun:test";
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Everything reachable from `entry`: each input file with the runtime modules it imports. */
async function walk(entry: string): Promise<{ files: string[]; runtimeImports: string[] }> {
  const result = await build({
    entryPoints: [`${root}${entry}`],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    platform: "neutral",
    format: "esm",
    mainFields: ["module", "main"],
    logLevel: "silent",
    // marked external so that the metafile records who imports them
    external: ["node:*", "bun", "bun:*", ...builtinModules],
  });
  const inputs = Object.entries(result.metafile.inputs);
  const runtimeImports = inputs.flatMap(([file, input]) => input.imports.filter((i) => i.external).map((i) => `${file} imports ${i.path}`));
  return { files: inputs.map(([file]) => file), runtimeImports };
}

/** True when TypeScript source `text` uses the Bun or Deno global (comments and string literals aside). */
function usesRuntimeGlobal(text: string): boolean {
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
  return /\b(Bun|Deno)\s*\.\s*[A-Za-z]/.test(code) || /globalThis\s*\.\s*(Bun|Deno)\b/.test(code);
}

/** Our own files (not node_modules) that use the Bun or Deno global. */
function runtimeGlobals(files: readonly string[]): string[] {
  return files.filter((f) => !f.includes("node_modules/") && usesRuntimeGlobal(readFileSync(`${root}${f}`, "utf8")));
}

describe("the root entry is Web-only", () => {
  test("no file reachable from mod.ts imports node:*, a Node builtin or bun, nor uses Bun/Deno", async () => {
    const { files, runtimeImports } = await walk("mod.ts");
    expect(runtimeImports).toEqual([]);
    expect(runtimeGlobals(files)).toEqual([]);
    // the walk follows packages: the Workload API client's Connect and protobuf code is in it
    expect(files.some((f) => f.includes("node_modules/@connectrpc/connect/"))).toBe(true);
    expect(files.some((f) => f.includes("node_modules/@bufbuild/protobuf/"))).toBe(true);
    expect(files).toContain("src/workloadapi/workload-api-client.ts");
  });

  test("the same check finds the runtime entries' node:* imports (it can fail)", async () => {
    for (const entry of ["src/adapters/node/mod.ts", "src/adapters/bun/mod.ts", "src/adapters/deno/mod.ts"]) {
      const { runtimeImports } = await walk(entry);
      expect(runtimeImports.some((i) => i.endsWith(" imports node:net"))).toBe(true);
      expect(runtimeImports.some((i) => i.includes("node_modules/@connectrpc/connect-node/") && i.endsWith(" imports node:http2"))).toBe(true);
    }
    expect(usesRuntimeGlobal(`const token = Deno.env.get("TOKEN");`)).toBe(true);
    expect(usesRuntimeGlobal(`const server = Bun.serve({ fetch });`)).toBe(true);
    expect(usesRuntimeGlobal(`const g = globalThis.Deno;`)).toBe(true);
    expect(usesRuntimeGlobal(`const s = Symbol.for("Deno.customInspect"); // Bun.serve cannot`)).toBe(false);
  });
});
