// examples/bun-server end to end, plus how the shared server program treats bad configuration.
import { describe, expect, test } from "bun:test";
import { describeExampleServer } from "./example-server-suite.ts";
import { runExample } from "./example-process.ts";

describeExampleServer("examples/bun-server/server.ts");

describe("examples/bun-server/server.ts configuration", () => {
  test("a Workload API address without a scheme stops it with the SDK's error code (exit 1)", async () => {
    const r = await runExample("examples/bun-server/server.ts", { SPIFFE_ENDPOINT_SOCKET: "/tmp/agent.sock", SERVER_ADDRESS: "127.0.0.1:0", HEALTH_ADDRESS: "off" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ERR_WORKLOAD_API_ADDRESS_SCHEME");
  });

  test("an invalid SERVER_ADDRESS stops it before connecting (exit 2)", async () => {
    const r = await runExample("examples/bun-server/server.ts", { SPIFFE_ENDPOINT_SOCKET: "unix:///nonexistent.sock", SERVER_ADDRESS: "8443" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SERVER_ADDRESS must be host:port");
  });

  test("an invalid ALLOWED_CLIENT_ID stops it before connecting (exit 1, SpiffeIdError code)", async () => {
    const r = await runExample("examples/bun-server/server.ts", { SPIFFE_ENDPOINT_SOCKET: "unix:///nonexistent.sock", SERVER_ADDRESS: ":0", HEALTH_ADDRESS: "off", ALLOWED_CLIENT_ID: "example.org/client" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: ERR_SPIFFE_ID_\w+/);
  });
});
