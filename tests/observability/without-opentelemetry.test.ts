// @opentelemetry/api is an optional peer: with it absent, the SDK loads, serves mTLS, reads
// the Workload API and runs trace hooks; only enableTelemetry() without providers refuses,
// with a MissingDependencyError naming the package. The child process runs on this runtime from a copy of the sources whose
// node_modules holds every package but @opentelemetry/*.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runtime } from "../support/runtime-entry.ts";
import { currentRuntimeCommand } from "../workloadapi/support.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
let dir: string;

const PROBE = `
import { addSpiffeTrace, authorizeAny, enableTelemetry } from "./mod.ts";
import { createMtlsClient, serveMtls, X509Source } from "./src/adapters/${runtime}/mod.ts";
import { createTestCa, startWorkloadApiServer } from "./src/testing/mod.ts";

const report = {};
try {
  await import("@opentelemetry/api");
  report.apiAbsent = false;
} catch {
  report.apiAbsent = true;
}
const ca = await createTestCa({ trustDomain: "example.org" });
const agent = await startWorkloadApiServer({ socketPath: process.argv.at(-1), ca, workloads: [{ id: "spiffe://example.org/web" }] });
const verdicts = [];
const remove = addSpiffeTrace({ handshakeVerified: (info) => verdicts.push(info.side + ":" + info.peerId) });
const source = await X509Source.create({ address: agent.address });
const server = await serveMtls({ port: 0, hostname: "127.0.0.1", source, authorizer: authorizeAny(), fetch: () => new Response("hello") });
const client = createMtlsClient({ source, authorizer: authorizeAny() });
report.body = await (await client.get(new URL("/", server.url))).text();
report.verdicts = verdicts.sort();
remove();
try {
  await enableTelemetry();
  report.enable = "resolved";
} catch (err) {
  report.enable = err.name + ":" + err.code + ":" + err.dependency;
}
const explicit = await enableTelemetry({ meterProvider: null, tracerProvider: null });
explicit.disable();
report.explicit = "resolved";
await client.close();
await server.close();
await source.close();
await agent.stop();
console.log("REPORT " + JSON.stringify(report));
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "no-otel-"));
  for (const entry of ["mod.ts", "src", "gen", "package.json", "deno.json"]) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  mkdirSync(join(dir, "node_modules"));
  const modules = join(root, "node_modules");
  for (const name of readdirSync(modules)) {
    if (name === "@opentelemetry") continue;
    symlinkSync(join(modules, name), join(dir, "node_modules", name));
  }
  writeFileSync(join(dir, "probe.ts"), PROBE);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("without @opentelemetry/api the SDK loads and works; enableTelemetry() alone refuses with a MissingDependencyError", async () => {
  const [command, ...args] = currentRuntimeCommand(dir);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(command!, [...args, join(dir, "probe.ts"), join(dir, "agent.sock")], { cwd: dir, timeout: 60_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)));
  });
  const line = stdout.split("\n").find((l) => l.startsWith("REPORT "));
  expect(line).toBeDefined();
  expect(JSON.parse(line!.slice("REPORT ".length))).toEqual({
    apiAbsent: true,
    body: "hello",
    verdicts: ["client:spiffe://example.org/web", "server:spiffe://example.org/web"],
    enable: "MissingDependencyError:ERR_MISSING_DEPENDENCY:@opentelemetry/api",
    explicit: "resolved",
  });
});
