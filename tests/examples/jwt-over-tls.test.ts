// examples/jwt-over-tls end to end: the TLS-only server (mode "tls" + requireJwtSvid) and its
// client (mode "tls" + jwtSvid) as child processes on the test's runtime, against development
// Workload APIs (one per workload, one test CA), plus callers the example does not cover.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authorizeId, getSpiffeId, type MtlsClient } from "../../mod.ts";
import { type Agents, type ExampleProcess, isDeno, runExample, startAgents, startExample } from "./example-process.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { BundleSource, JwtSource } from "../../src/adapters/node/mod.ts";
const { createMtlsClient } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

const SERVER = "examples/jwt-over-tls/server.ts";
const CLIENT = "examples/jwt-over-tls/client.ts";
const SERVER_ID = "spiffe://example.org/server";

describe("examples/jwt-over-tls: JWT-SVIDs over SPIFFE TLS (mode \"tls\")", () => {
  let agents: Agents;
  let server: ExampleProcess;
  let serverUrl: string;
  let healthUrl: string;
  let bundles: BundleSource;
  let jwt: JwtSource;
  const clients: MtlsClient[] = [];
  /** A mode "tls" client of the SDK with the client workload's bundles, and its JWT-SVIDs for `audience` (none when undefined). */
  const tlsClient = (audience: string | undefined): MtlsClient => {
    const client = createMtlsClient({ mode: "tls", source: bundles, authorizer: authorizeId(SERVER_ID), timeoutMs: 10_000, ...(audience ? { jwtSvid: { source: jwt, audience } } : {}) });
    clients.push(client);
    return client;
  };
  const requestsLogged = (): number => server.stdout().split('"msg":"request"').length - 1;

  beforeAll(async () => {
    agents = await startAgents();
    server = startExample(SERVER, {
      SPIFFE_ENDPOINT_SOCKET: agents.server.address,
      SERVER_ADDRESS: "127.0.0.1:0",
      HEALTH_ADDRESS: "127.0.0.1:0",
      ALLOWED_CLIENT_ID: "spiffe://example.org/client",
    });
    const [, health, url] = await server.waitFor(/health on (\S+) [\s\S]*listening on (\S+) as/);
    healthUrl = health!;
    serverUrl = url!;
    bundles = await BundleSource.create({ address: agents.client.address, timeoutMs: 10_000 });
    jwt = await JwtSource.create({ address: agents.client.address, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await jwt?.close();
    await bundles?.close();
    await server?.stop("SIGKILL");
    await agents?.stop();
  });

  test("the server presents its SVID, asks for no client certificate, and names the audience and the allowed caller", () => {
    expect(server.stdout()).toContain(
      `listening on ${serverUrl} as ${SERVER_ID} (TLS, no client certificate), accepting JWT-SVIDs for ${SERVER_ID} from spiffe://example.org/client`,
    );
  });

  test("the client calls with a JWT-SVID and no certificate; the server greets it by the token's identity; exit 0", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: SERVER_ID });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toContain(`client spiffe://example.org/client (JWT-SVID for ${SERVER_ID}, no client certificate) → ${serverUrl}, expecting ${SERVER_ID}`);
    expect(r.stdout).toContain(`GET /api/hello → 200 Hello, spiffe://example.org/client! (authenticated by jwt-svid)  (server ${SERVER_ID})`);
    await server.waitFor(/"msg":"request","method":"GET","path":"\/api\/hello","spiffeId":"spiffe:\/\/example\.org\/client","mechanism":"jwt-svid","status":200/);
  });

  test("without a token the TLS handshake succeeds (no certificate asked) and the request gets 401 with WWW-Authenticate: Bearer", async () => {
    const response = await tlsClient(undefined).get(new URL("/api/hello", serverUrl));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(getSpiffeId(response)?.toString()).toBe(SERVER_ID); // the client verified the server all the same
    await response.body?.cancel();
  });

  test("a token for another audience is refused (401 invalid_token)", async () => {
    const response = await tlsClient("spiffe://example.org/someone-else").get(new URL("/api/hello", serverUrl));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    await response.body?.cancel();
  });

  test("a valid token of a caller that is not ALLOWED_CLIENT_ID gets 403 (exit 1)", async () => {
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.intruder.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: SERVER_ID });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("client spiffe://example.org/intruder");
    expect(r.stdout).toContain('GET /api/hello → 403 {"error":"forbidden"');
  });

  test("the client refuses a server that is not EXPECTED_SERVER_ID before sending its token (exit 1)", async () => {
    const before = requestsLogged();
    const r = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "spiffe://example.org/other" });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`GET /api/hello → failed: ERR_AUTHZ_UNEXPECTED_ID: unexpected peer ID "${SERVER_ID}"`);
    expect(requestsLogged()).toBe(before); // no request reached the server
  });

  test("a missing EXPECTED_SERVER_ID or a non-https SERVER_URL is a configuration error (exit 2)", async () => {
    const missing = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: serverUrl, EXPECTED_SERVER_ID: "" });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("EXPECTED_SERVER_ID must name the server's SPIFFE ID");
    const plain = await runExample(CLIENT, { SPIFFE_ENDPOINT_SOCKET: agents.client.address, SERVER_URL: "http://127.0.0.1:1", EXPECTED_SERVER_ID: SERVER_ID });
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain("SERVER_URL must be an https:// URL");
  });

  test("/readyz on the health port follows the server's X.509-SVID", async () => {
    const ready = await fetch(new URL("/readyz", healthUrl));
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string; spiffeId: string })).toMatchObject({ status: "ready", spiffeId: SERVER_ID });
  });

  test("SIGTERM stops the server cleanly (exit 0)", async () => {
    const code = await server.stop("SIGTERM");
    // Deno's node:child_process reports a child it signalled as killed (null) even when it exited 0
    expect(code === 0 || (isDeno && code === null)).toBe(true);
    expect(server.stdout()).toContain("SIGTERM: shutting down");
    expect(server.stdout()).toContain("stopped");
    expect(server.stderr()).toBe("");
  });
});
