// docs/: every ```ts block type-checks against the real API (imports of the package name
// are pointed at this checkout), relative links resolve, and TypeDoc builds the API
// reference without errors (`typedoc --emit none`: validation only, a few seconds).
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { packageEntries } from "../support/package-entries.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const entries = packageEntries;

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory() && e.name !== "api") out.push(...markdownFiles(p));
    else if (e.name.endsWith(".md")) out.push(p);
  }
  return out.sort();
}
const docs = markdownFiles("docs");
const allMarkdown = [...docs, ...markdownFiles("examples"), ...markdownFiles("deploy")];
const read = (path: string): string => readFileSync(join(root, path), "utf8");

// The TypeScript compiler and TypeDoc run on Node whatever runtime runs this suite, so
// these two checks are registered once, in the Bun run (they take several seconds each).
const heavy = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

describe("docs/", () => {
  test("has the pages the README links to", () => {
    for (const page of ["concepts", "workload-api", "mtls", "identity", "deployment", "troubleshooting"]) {
      expect(docs).toContain(`docs/${page}.md`);
    }
  });

  test("relative links in docs/, examples/ and deploy/ Markdown point to files that exist", () => {
    for (const file of allMarkdown) {
      for (const m of read(file).matchAll(/\]\(((?!https?:|#|mailto:)[^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = join(root, dirname(file), m[1]!);
        expect({ file, link: m[1], exists: existsSync(target) }).toEqual({ file, link: m[1], exists: true });
      }
    }
  });

  if (heavy) {
    test("every ```ts block type-checks against the real API (tsc)", () => {
      const dir = join(root, "tests", `.docs-snippets-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      try {
        let count = 0;
        for (const file of allMarkdown) {
          [...read(file).matchAll(/```ts\n([\s\S]*?)```/g)].forEach((m, i) => {
            const code = m[1]!.replace(/from "(@spiffe-ts\/sdk[^"]*)"/g, (_, name: string) => {
              const target = entries[name];
              if (!target) throw new Error(`${file} imports unknown entry ${name}`);
              return `from ${JSON.stringify(relative(dir, join(root, target)))}`;
            }).replace(/from "\.\/gen\/greeter_pb\.ts"/g, `from ${JSON.stringify(relative(dir, join(root, "examples/grpc/gen/greeter_pb.ts")))}`); // the stubs of examples/grpc
            // each block is its own module, as a reader would paste it
            writeFileSync(join(dir, `${file.replace(/[/.]/g, "_")}-${i + 1}.ts`), `${code}\nexport {};\n`);
            count++;
          });
        }
        expect(count).toBeGreaterThanOrEqual(10);
        // A snippet may name a value it does not use again (`const server = …`), as readers write them.
        writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noUnusedLocals: false }, include: ["*.ts"] }));
        const r = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(dir, "tsconfig.json")], { cwd: root, encoding: "utf8" });
        expect({ status: r.status, errors: r.stdout.replaceAll(`${relative(root, dir)}/`, "") }).toEqual({ status: 0, errors: "" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("TypeDoc validates the six entry points with 0 errors (typedoc --emit none)", () => {
      const r = spawnSync(join(root, "node_modules", ".bin", "typedoc"), ["--emit", "none", "--logLevel", "Warn"], { cwd: root, encoding: "utf8" });
      const output = `${r.stdout}${r.stderr}`;
      expect({ status: r.status, errors: output.match(/\[error\].*/g) ?? [] }).toEqual({ status: 0, errors: [] });
      const config = JSON.parse(read("typedoc.json")) as { entryPoints: string[]; out: string };
      expect(config.entryPoints.sort()).toEqual(Object.values(entries).sort());
      expect(config.out).toBe("docs/api");
      expect(read(".gitignore").split("\n")).toContain("docs/api/");
    });
  }
});
