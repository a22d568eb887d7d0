// The end-to-end checks every example server passes (bun-server, node-server, deno-server,
// hono): started as a child process against development Workload APIs, called with the
// SDK's own mTLS client, probed on its health port, stopped with SIGTERM.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authorizeId, getSpiffeId, type MtlsClient } from "../../mod.ts";
import { type Agents, type ExampleProcess, isDeno, startAgents, startExample } from "./example-process.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { X509Source } from "../../src/adapters/node/mod.ts";
const { createMtlsClient } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

export interface ServerSuite {
  readonly url: () => URL;
  readonly client: () => MtlsClient;
}

/** Registers the shared checks for the server example `file`; `extra` adds example-specific tests. */
export function describeExampleServer(file: string, extra?: (suite: ServerSuite) => void): void {
  describe(file, () => {
    let agents: Agents;
    let server: ExampleProcess;
    let url: URL;
    let healthUrl: URL;
    const sources: X509Source[] = [];
    const clients: MtlsClient[] = [];
    const clientOf = async (agent: keyof Omit<Agents, "stop">): Promise<MtlsClient> => {
      const source = await X509Source.create({ address: agents[agent].address, timeoutMs: 10_000 });
      sources.push(source);
      const client = createMtlsClient({ source, authorizer: authorizeId("spiffe://example.org/server"), timeoutMs: 10_000 });
      clients.push(client);
      return client;
    };
    let client: MtlsClient;

    beforeAll(async () => {
      agents = await startAgents();
      server = startExample(file, {
        SPIFFE_ENDPOINT_SOCKET: agents.server.address,
        SERVER_ADDRESS: "127.0.0.1:0",
        HEALTH_ADDRESS: "127.0.0.1:0",
        ALLOWED_CLIENT_ID: "spiffe://example.org/client",
      });
      const [, health, mtls] = await server.waitFor(/health on (\S+) [\s\S]*listening on (\S+) as spiffe:\/\/example\.org\/server/);
      healthUrl = new URL(health!);
      url = new URL(mtls!);
      client = await clientOf("client");
    });

    afterAll(async () => {
      for (const c of clients) await c.close();
      for (const s of sources) await s.close();
      await server?.stop("SIGKILL");
      await agents?.stop();
    });

    test("GET /api/hello greets the verified caller; the server is verified as spiffe://example.org/server", async () => {
      const response = await client.get(new URL("/api/hello", url));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("Hello, spiffe://example.org/client!");
      expect(getSpiffeId(response)?.toString()).toBe("spiffe://example.org/server");
    });

    test("POST /api/echo echoes the body and the caller", async () => {
      const response = await client.post(new URL("/api/echo", url), "ping", { headers: { "content-type": "text/plain" } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ echo: "ping", caller: "spiffe://example.org/client" });
    });

    test("GET /api/echo answers the request as the server saw it, with the verified caller", async () => {
      const response = await client.get(new URL("/api/echo?x=1&y=two", url), { headers: { "x-demo": "yes" } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { method: string; path: string; query: Record<string, string>; headers: Record<string, string>; caller: string };
      expect({ method: body.method, path: body.path, query: body.query, demoHeader: body.headers["x-demo"], caller: body.caller }).toEqual({
        method: "GET",
        path: "/api/echo",
        query: { x: "1", y: "two" },
        demoHeader: "yes",
        caller: "spiffe://example.org/client",
      });
    });

    test("GET /api/identity answers the caller's ID, trust domain, path and the expiry of its X.509-SVID", async () => {
      const response = await client.get(new URL("/api/identity", url));
      const body = (await response.json()) as { spiffeId: string; trustDomain: string; path: string; expiresAt: string };
      const callerSvid = sources[0]!.getX509Svid(); // the source of `client`, the first one created
      expect(body).toEqual({ spiffeId: "spiffe://example.org/client", trustDomain: "example.org", path: "/client", expiresAt: callerSvid.expiresAt.toISOString() });
    });

    test("an X-SPIFFE-ID header does not change who the caller is", async () => {
      const response = await client.get(new URL("/api/identity", url), { headers: { "x-spiffe-id": "spiffe://example.org/admin" } });
      expect(((await response.json()) as { spiffeId: string }).spiffeId).toBe("spiffe://example.org/client");
    });

    test("unknown routes answer 404", async () => {
      const response = await client.get(new URL("/nope", url));
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: "not found" });
    });

    test("a workload of the trust domain that is not ALLOWED_CLIENT_ID is refused before HTTP", async () => {
      const intruder = await clientOf("intruder");
      let failure: unknown;
      try {
        await intruder.get(new URL("/api/hello", url));
      } catch (err) {
        failure = err;
      }
      expect(failure).toBeInstanceOf(Error);
    });

    test("the plain-HTTP health port answers /healthz and an SVID-aware /readyz", async () => {
      const live = await fetch(new URL("/healthz", healthUrl));
      expect(live.status).toBe(200);
      await live.body?.cancel();
      const ready = await fetch(new URL("/readyz", healthUrl));
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { status: string; spiffeId: string; expiresAt: string };
      expect(body.status).toBe("ready");
      expect(body.spiffeId).toBe("spiffe://example.org/server");
      expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    });

    extra?.({ url: () => url, client: () => client });

    test("SIGTERM stops it gracefully with exit status 0", async () => {
      const code = await server.stop("SIGTERM");
      // Deno's node:child_process reports a child it signalled as killed (code null) even when
      // the child handled the signal and exited 0; the output below shows the clean stop.
      expect(code === 0 || (isDeno && code === null)).toBe(true);
      expect(server.stdout()).toContain("SIGTERM: shutting down");
      expect(server.stdout()).toContain("stopped");
      expect(server.stderr()).toBe("");
    });
  });
}
