// Every ```ts block of README.md runs as written (imports of the package name are pointed
// at this checkout), against a development Workload API found through SPIFFE_ENDPOINT_SOCKET.
import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { useDevAgentForEnv } from "./support/dev-agent-env.ts";
import { packageEntries } from "./support/package-entries.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const entries = packageEntries;
const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

useDevAgentForEnv("spiffe-ts-readme-");

describe("README.md", () => {
  test("has runnable TypeScript examples", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  blocks.forEach((code, i) => {
    test(`example ${i + 1} runs: ${code.split("\n").find((l) => l.startsWith("import"))?.slice(0, 60)}`, async () => {
      const local = code.replace(/from "(@spiffe-ts\/sdk[^"]*)"/g, (_, name: string) => {
        const file = entries[name];
        if (!file) throw new Error(`README imports unknown entry ${name}`);
        return `from ${JSON.stringify(pathToFileURL(join(root, file)).href)}`;
      });
      const file = join(root, "tests", `.readme-example-${i + 1}-${process.pid}.ts`);
      writeFileSync(file, local);
      try {
        await import(pathToFileURL(file).href);
      } finally {
        rmSync(file, { force: true });
      }
    });
  });
});
