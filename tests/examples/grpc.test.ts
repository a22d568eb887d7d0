// examples/grpc end to end: the Connect server and client as child processes on the test's
// runtime, against development Workload APIs (one per workload, one test CA), plus a check
// that examples/grpc/gen/ is what buf generates from greeter.proto.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { type Agents, type ExampleProcess, isDeno, repoFile, runExample, startAgents, startExample } from "./example-process.ts";

const SERVER = "examples/grpc/server.ts";
const CLIENT = "examples/grpc/client.ts";

describe("examples/grpc: Connect over SPIFFE mTLS", () => {
  let agents: Agents;
  let server: ExampleProcess;
  let serverUrl: string;

  beforeAll(async () => {
    agents = await startAgents();
    server = startExample(SERVER, { SPIFFE_ENDPOINT_SOCKET: agents.server.address, SERVER_ADDRESS: "127.0.0.1:0", ALLOWED_CLIENT_ID: "spiffe://example.org/client" });
    serverUrl = (await server.waitFor(/listening on (\S+)/))[1]!;
  });

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await agents?.stop();
  });

  test("the server listens with its SVID and names the one client it allows", () => {
    expect(server.stdout()).toContain(`listening on ${serverUrl} as spiffe://example.org/server, allowing spiffe://example.org/client`);
  });

  test("Greet succeeds; the reply carries the caller's ID as the server verified it, and the client verified the server", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "spiffe://example.org/server" });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toContain(`client spiffe://example.org/client → ${serverUrl}, expecting spiffe://example.org/server`);
    expect(r.stdout).toContain("Greet → Hello, /client! (caller spiffe://example.org/client, server spiffe://example.org/server)");
    await server.waitFor(/"msg":"greet","caller":"spiffe:\/\/example\.org\/client"/);
  });

  test("a client that is not ALLOWED_CLIENT_ID is refused before any call reaches the handler (exit 1)", async () => {
    const before = server.stdout().split('"msg":"greet"').length;
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.intruder.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "spiffe://example.org/server" });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("client spiffe://example.org/intruder");
    expect(r.stdout).toContain("Greet → failed: ");
    expect(r.stdout).not.toContain("Hello");
    expect(server.stdout().split('"msg":"greet"').length).toBe(before);
  });

  test("the client refuses a server that is not EXPECTED_SERVER_ID, with the SDK's error code (exit 1)", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "spiffe://example.org/other" });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Greet → failed: ERR_AUTHZ_UNEXPECTED_ID: unexpected peer ID "spiffe://example.org/server"');
  });

  test("without EXPECTED_SERVER_ID the client accepts any server of its own trust domain", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("expecting any ID of spiffe://example.org");
    expect(r.stdout).toContain("Greet → Hello, /client!");
  });

  test("a non-https SERVER_URL is a configuration error (exit 2)", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: "http://127.0.0.1:1" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SERVER_URL must be an https:// URL");
  });

  test("an invalid ALLOWED_CLIENT_ID stops the server before connecting (exit 1, SpiffeIdError code)", async () => {
    const r = await runExample(SERVER, { SPIFFE_ENDPOINT_SOCKET: "unix:///nonexistent.sock", SERVER_ADDRESS: ":0", ALLOWED_CLIENT_ID: "example.org/client" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: ERR_SPIFFE_ID_\w+/);
  });

  test("SIGTERM stops the server cleanly (exit 0)", async () => {
    const own = startExample(SERVER, { SPIFFE_ENDPOINT_SOCKET: agents.server.address, SERVER_ADDRESS: "127.0.0.1:0" });
    await own.waitFor(/listening on/);
    const code = await own.stop("SIGTERM");
    // Deno's node:child_process reports a child it signalled as killed (null) even when it exited 0
    expect(code === 0 || (isDeno && code === null)).toBe(true);
    expect(own.stdout()).toContain("SIGTERM: shutting down");
    expect(own.stdout()).toContain("stopped");
    expect(own.stderr()).toBe("");
  });
});

// buf runs on Node whatever runtime runs this suite: checked once, in the Bun run.
if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
  describe("examples/grpc/gen/", () => {
    test("is what `buf generate` in examples/grpc produces from greeter.proto", () => {
      const dir = repoFile("examples/grpc");
      const out = mkdtempSync(join(tmpdir(), "spiffe-ts-grpc-gen-"));
      try {
        const bin = repoFile("node_modules/.bin");
        const r = spawnSync(join(bin, "buf"), ["generate", "--output", out], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` } });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
        const have = readdirSync(join(dir, "gen")).sort();
        expect(readdirSync(join(out, "gen")).sort()).toEqual(have);
        for (const f of have) expect({ f, same: readFileSync(join(out, "gen", f), "utf8") === readFileSync(join(dir, "gen", f), "utf8") }).toEqual({ f, same: true });
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}
