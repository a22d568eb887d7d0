// docs/integrations-grpc.md: every ```ts block runs as written on this runtime (imports of
// the package name are pointed at this checkout, the runtime entry at this runtime's own,
// "./gen/greeter_pb.ts" at examples/grpc/gen), against a development Workload API found
// through SPIFFE_ENDPOINT_SOCKET, and prints what its `console.log(...); // expected`
// comments say. On Deno, the grpc-js example is refused as the page says.
import { describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError } from "../../mod.ts";
import { useDevAgentForEnv } from "../support/dev-agent-env.ts";
import { packageEntries } from "../support/package-entries.ts";
import { runtime } from "../support/runtime-entry.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const DOC = "docs/integrations-grpc.md";
const blocks = [...readFileSync(join(root, DOC), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** The block with its imports pointed at this checkout. */
function runnable(code: string): string {
  return code
    .replace(/from "(@spiffe-ts\/sdk[^"]*)"/g, (_, given: string) => {
      const name = given === "@spiffe-ts/sdk/node" ? `@spiffe-ts/sdk/${runtime}` : given;
      const file = packageEntries[name];
      if (!file) throw new Error(`${DOC} imports unknown entry ${name}`);
      return `from ${JSON.stringify(pathToFileURL(join(root, file)).href)}`;
    })
    .replace(/from "\.\/gen\/greeter_pb\.ts"/g, `from ${JSON.stringify(pathToFileURL(join(root, "examples/grpc/gen/greeter_pb.ts")).href)}`);
}

useDevAgentForEnv("spiffe-ts-grpc-docs-");

describe(DOC, () => {
  test("has an example per integration (grpc-js, Connect gRPC, Connect on serveMtls)", () => {
    expect(blocks.length).toBe(3);
  });

  blocks.forEach((code, i) => {
    test(`example ${i + 1} runs and prints what it says: ${code.split("\n").find((l) => l.includes("@spiffe-ts/sdk/"))?.slice(0, 70)}`, async () => {
      const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
      expect(expected.length).toBeGreaterThan(0);
      const file = join(root, "tests", `.grpc-docs-example-${i + 1}-${process.pid}.ts`);
      writeFileSync(file, runnable(code));
      const printed: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
      let failure: unknown;
      try {
        await import(pathToFileURL(file).href);
      } catch (err) {
        failure = err;
      } finally {
        console.log = log;
        rmSync(file, { force: true });
      }
      if (runtime === "deno" && code.includes("createSpiffeChannelCredentials(grpc")) {
        // the Deno entry refuses grpc-js clients (see the page's table)
        expect(failure).toBeInstanceOf(ConfigError);
        expect((failure as ConfigError).option).toBe("grpc");
        return;
      }
      if (failure) throw failure;
      expect(printed).toEqual(expected);
    });
  });
});
