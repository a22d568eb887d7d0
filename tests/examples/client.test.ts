// examples/client end to end, the way its README runs it: `npm run dev-agent`
// (examples/dev-agent.ts), the Bun server example, then the client, all as child processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExampleProcess, runExample, startExample } from "./example-process.ts";

const CLIENT = "examples/client/client.ts";

describe("examples/client/client.ts against examples/bun-server on examples/dev-agent.ts", () => {
  let dir: string;
  let agent: ExampleProcess;
  let server: ExampleProcess;
  let serverUrl: string;
  let clientSocket: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "spiffe-ts-client-example-"));
    agent = startExample("examples/dev-agent.ts", { DEV_AGENT_DIR: dir });
    const [, serverSocket, client] = await agent.waitFor(/server: SPIFFE_ENDPOINT_SOCKET=(\S+)[\s\S]*client: SPIFFE_ENDPOINT_SOCKET=(\S+)[\s\S]*ready/);
    clientSocket = client!;
    server = startExample("examples/bun-server/server.ts", {
      SPIFFE_ENDPOINT_SOCKET: serverSocket!,
      SERVER_ADDRESS: "127.0.0.1:0",
      HEALTH_ADDRESS: "off",
      ALLOWED_CLIENT_ID: "spiffe://example.org/client",
    });
    serverUrl = (await server.waitFor(/listening on (\S+)/))[1]!;
  });

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await agent?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("dev-agent prints one unix:// socket per workload", () => {
    expect(agent.stdout()).toContain(`server: SPIFFE_ENDPOINT_SOCKET=unix://${join(dir, "server.sock")}  → spiffe://example.org/server`);
    expect(agent.stdout()).toContain(`client: SPIFFE_ENDPOINT_SOCKET=unix://${join(dir, "client.sock")}  → spiffe://example.org/client`);
  });

  test("calls every route, prints the answers and the verified server, exits 0", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: clientSocket, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "spiffe://example.org/server" });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toContain(`client spiffe://example.org/client → ${serverUrl}, expecting spiffe://example.org/server`);
    expect(r.stdout).toContain("GET  /api/hello    → 200 Hello, spiffe://example.org/client!  (server spiffe://example.org/server)");
    expect(r.stdout).toContain('POST /api/echo     → 200 {"echo":"hello from /client","caller":"spiffe://example.org/client"}');
    expect(r.stdout).toMatch(/GET {2}\/api\/echo {5}→ 200 \{"method":"GET","path":"\/api\/echo","query":\{"from":"client"\},"headers":\{.*\},"caller":"spiffe:\/\/example\.org\/client"\}/);
    expect(r.stdout).toMatch(/GET {2}\/api\/identity → 200 \{"spiffeId":"spiffe:\/\/example\.org\/client","trustDomain":"example\.org","path":"\/client","expiresAt":"\d{4}-\d\d-\d\dT[\d:.]+Z"\}/);
    expect(r.stdout).toContain("all calls succeeded");
  });

  test("without EXPECTED_SERVER_ID it accepts any server of its own trust domain", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: clientSocket, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("expecting any ID of spiffe://example.org");
  });

  test("refuses a server that is not EXPECTED_SERVER_ID and exits 1", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: clientSocket, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "spiffe://example.org/other" });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("GET  /api/hello    → failed: ERR_AUTHZ_UNEXPECTED_ID");
    expect(r.stdout).toContain("some calls failed");
  });

  test("a non-https SERVER_URL is a configuration error (exit 2)", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: clientSocket, SERVER_URL: "http://127.0.0.1:1" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SERVER_URL must be an https:// URL");
  });
});
