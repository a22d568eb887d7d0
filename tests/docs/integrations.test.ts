// docs/integrations.md: every example runs on the runtime running this suite (its imports of
// @spiffe-ts/sdk/<runtime> pointed at that runtime's entry of this checkout, "./gen/greeter_pb.ts"
// at examples/grpc/gen), against development Workload APIs: HTTP client examples are imported in
// this process (a child process per example would cost seconds each) and must print the SPIFFE
// server's answer and its verified ID; HTTP server examples run as programs that listen until
// killed, and must answer a SPIFFE client with its verified ID over a kept-alive connection;
// gRPC examples (server and client in one program) are imported too and must print what their
// `console.log(...); // expected` comments say. Where the page says a stack does not work on a
// runtime, the example must fail there. (Refusals of each client are tested in tests/adapters/.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { request } from "node:https";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { authorizeAny, authorizeId, IntegrationError } from "../../mod.ts";
import { createSpiffeAgent, getPeerId, type SpiffeAgent, X509Source } from "../../src/adapters/node/mod.ts";
import { packageEntries } from "../support/package-entries.ts";
import { runtime } from "../support/runtime-entry.ts";
import { type IntegrationServer, startIntegrationServer } from "../adapters/integration-server.ts";
import { type Agents, runExample, startAgents, startExample } from "../examples/example-process.ts";
import { useDevAgentForEnv } from "../support/dev-agent-env.ts";
import { waitUntil } from "../support/wait-until.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const page = readFileSync(join(root, "docs", "integrations.md"), "utf8");
const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";

/** The ```ts blocks under each `## ` heading. */
function blocksBySection(markdown: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  for (const part of markdown.split(/^## /m).slice(1)) {
    const heading = part.slice(0, part.indexOf("\n")).trim();
    sections.set(heading, [...part.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!));
  }
  return sections;
}
const sections = blocksBySection(page);

const dir = join(root, "tests", `.integrations-docs-${process.pid}`);

/** Writes a block as a program whose SDK imports point at this checkout (the runtime's own entry for /node, /bun, /deno). */
function program(name: string, code: string): string {
  const rewritten = code.replace(/from "(@spiffe-ts\/sdk[^"]*)"/g, (_, entry: string) => {
    const target = /^@spiffe-ts\/sdk\/(node|bun|deno)$/.test(entry) ? packageEntries[`@spiffe-ts/sdk/${runtime}`] : packageEntries[entry];
    if (!target) throw new Error(`docs/integrations.md imports unknown entry ${entry}`);
    return `from ${JSON.stringify(`./${relative(dir, join(root, target))}`)}`;
  }).replace(/from "\.\/gen\/greeter_pb\.ts"/g, `from ${JSON.stringify(`./${relative(dir, join(root, "examples/grpc/gen/greeter_pb.ts"))}`)}`);
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.ts`);
  writeFileSync(file, rewritten);
  return relative(root, file);
}

function block(section: string, index = 0): string {
  const code = sections.get(section)?.[index];
  if (!code) throw new Error(`docs/integrations.md has no ts block ${index + 1} under "## ${section}"`);
  return program(`${section}-${index}`, code);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let agents: Agents;
let server: IntegrationServer;
let serverSource: X509Source;
let clientSource: X509Source;
beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  agents = await startAgents();
  serverSource = await X509Source.create({ address: agents.server.address, timeoutMs: 10_000 });
  server = await startIntegrationServer(serverSource, authorizeAny());
  clientSource = await X509Source.create({ address: agents.client.address, timeoutMs: 10_000 });
});
afterAll(async () => {
  await server?.close();
  await serverSource?.close();
  await clientSource?.close();
  await agents?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const GRPC_SECTIONS = ["gRPC with @grpc/grpc-js", "Connect: gRPC on `attachSpiffe`", "Connect protocol on `serveMtls`"];

test("docs/integrations.md has a section with an example for each stack", () => {
  for (const section of ["https.request", "axios", "got", "node-fetch", "undici / fetch", "Express", "Fastify", "Koa", ...GRPC_SECTIONS]) {
    expect({ section, examples: (sections.get(section) ?? []).length > 0 }).toEqual({ section, examples: true });
  }
});

/** Client examples, and whether they print the server's ID (node-fetch cannot) and work on this runtime. */
const clientExamples: { section: string; printsServerId: boolean; works: boolean; failure?: RegExp }[] = [
  { section: "https.request", printsServerId: true, works: true },
  { section: "axios", printsServerId: true, works: true },
  { section: "got", printsServerId: true, works: true },
  { section: "node-fetch", printsServerId: false, works: runtime !== "bun", failure: /issuer|SpiffeAgent/ },
  { section: "undici / fetch", printsServerId: true, works: runtime !== "bun", failure: /IntegrationError.*ERR_INTEGRATION_UNSUPPORTED_RUNTIME/ },
];

/**
 * Imports a client example with its environment set, and collects what it prints until it
 * printed `lines` lines (callback-style examples print after their module finished).
 */
async function runClientExample(section: string, env: Record<string, string>, lines: number): Promise<string> {
  const file = pathToFileURL(join(root, block(section))).href;
  const saved = { log: console.log, env: { ...process.env } };
  const printed: string[] = [];
  Object.assign(process.env, env);
  console.log = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
  try {
    await import(file);
    await waitUntil(() => printed.length >= lines, `${lines} lines from the ${section} example`);
    return printed.join("\n");
  } finally {
    console.log = saved.log;
    for (const key of Object.keys(env)) {
      if (saved.env[key] === undefined) delete process.env[key];
      else process.env[key] = saved.env[key];
    }
  }
}

describe(`client examples of docs/integrations.md on ${runtime}`, () => {
  for (const { section, printsServerId, works, failure } of clientExamples) {
    const env = () => ({ SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: `${server.url}/hello`, EXPECTED_SERVER_ID: SERVER_ID });
    const lines = section === "undici / fetch" ? 2 : 1;
    if (works) {
      test(`${section}: calls the server, prints its answer${printsServerId ? " and its verified ID" : ""}`, async () => {
        const output = await runClientExample(section, env(), lines);
        expect(output.split("\n").every((line) => line.startsWith("200 ") && line.includes(`"caller":"${CLIENT_ID}"`))).toBe(true);
        if (printsServerId) expect(output).toContain(`200 ${SERVER_ID} `);
      });
    } else {
      test(`${section}: fails on ${runtime}, as the page says`, async () => {
        const caught = await runClientExample(section, env(), lines).then((output) => output, (err: unknown) => err);
        expect(caught).toBeInstanceOf(Error);
        expect(`${(caught as Error).name}: ${(caught as Error).message} ${String((caught as { code?: unknown }).code)}`).toMatch(failure!);
      });
    }
  }
});

/** GET `url` through `agent` (a SPIFFE client of the `client` workload): status, JSON body, the server's ID and the connection used. */
function call(url: string, agent: SpiffeAgent): Promise<{ status: number; body: unknown; server: string | undefined; socket: object | null }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      const socket = res.socket;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), server: getPeerId(res)?.toString(), socket }));
    })
      .on("error", reject)
      .end();
  });
}

/** Server examples: section, block, whether it has /admin (authorized for .../admin only), whether it works here. */
const serverExamples: { section: string; index: number; admin: string | undefined; works: boolean; failure?: RegExp }[] = [
  { section: "Express", index: 0, admin: "/admin", works: runtime !== "bun", failure: /IntegrationError[\s\S]*setSecureContext/ },
  { section: "Express", index: 1, admin: undefined, works: true },
  { section: "Fastify", index: 0, admin: "/admin/stats", works: true },
  { section: "Koa", index: 0, admin: undefined, works: true },
];

describe(`server examples of docs/integrations.md on ${runtime}`, () => {
  // Started together (a program takes seconds to start on a busy machine), each on its own port.
  const running = new Map<(typeof serverExamples)[number], { example: ReturnType<typeof startExample>; port: number }>();
  beforeAll(async () => {
    for (const e of serverExamples.filter((x) => x.works)) {
      const port = await freePort();
      running.set(e, { port, example: startExample(block(e.section, e.index), { SPIFFE_ENDPOINT_SOCKET: agents.server.address, PORT: String(port) }) });
    }
  });
  afterAll(async () => {
    await Promise.all([...running.values()].map(({ example }) => example.stop("SIGKILL")));
  });

  for (const e of serverExamples) {
    const { section, index, admin, works, failure } = e;
    const name = `${section}${index ? ` (example ${index + 1})` : ""}`;
    if (!works) {
      test(`${name}: refused on ${runtime}, as the page says`, async () => {
        const r = await runExample(block(section, index), { SPIFFE_ENDPOINT_SOCKET: agents.server.address, PORT: String(await freePort()) });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(failure!);
      });
      continue;
    }
    test(`${name}: answers a SPIFFE client with its verified ID, twice on one kept-alive connection${admin ? `; ${admin} is 403 for it` : ""}`, async () => {
      const { example, port } = running.get(e)!;
      await example.waitFor(/listening on/, 30_000);
      const agent = createSpiffeAgent({ source: clientSource, authorizer: authorizeId(SERVER_ID), maxSockets: 1 });
      try {
        const first = await call(`https://127.0.0.1:${port}/hello`, agent);
        expect({ ...first, socket: undefined }).toEqual({ status: 200, body: { caller: CLIENT_ID }, server: SERVER_ID, socket: undefined });
        const second = await call(`https://127.0.0.1:${port}/hello`, agent);
        expect(second.status).toBe(200);
        expect(second.socket === first.socket).toBe(true); // the server kept the connection alive
        if (admin) expect((await call(`https://127.0.0.1:${port}${admin}`, agent)).status).toBe(403);
      } finally {
        agent.destroy();
      }
    });
  }
});

describe(`gRPC examples of docs/integrations.md on ${runtime}`, () => {
  useDevAgentForEnv("spiffe-ts-grpc-docs-"); // the examples' one workload, spiffe://example.org/web, through SPIFFE_ENDPOINT_SOCKET

  for (const section of GRPC_SECTIONS) {
    const refused = runtime === "deno" && section === "gRPC with @grpc/grpc-js"; // the Deno entry refuses grpc-js clients
    test(`${section}: ${refused ? "refused on Deno, as the page says" : "runs and prints what it says"}`, async () => {
      const code = sections.get(section)?.[0] ?? "";
      const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
      expect(expected.length).toBeGreaterThan(0);
      const file = pathToFileURL(join(root, block(section))).href;
      const printed: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
      let failure: unknown;
      try {
        await import(file);
      } catch (err) {
        failure = err;
      } finally {
        console.log = log;
      }
      if (refused) {
        expect(failure).toBeInstanceOf(IntegrationError);
        expect(failure).toMatchObject({ code: "ERR_INTEGRATION_UNSUPPORTED_RUNTIME", library: "@grpc/grpc-js" });
        return;
      }
      if (failure) throw failure;
      expect(printed).toEqual(expected);
    });
  }
});
