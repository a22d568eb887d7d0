// OpenTelemetry metrics and spans of the Workload API, against the development server:
// updates and the gauges, a rotation and the first handshake with the new SVID, a malformed
// response, an agent restart (stream errors, reconnects), and client spans per call.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authorizeAny } from "../../mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { delay, FAST_BACKOFF, type Fixture, startFixture, waitFor } from "../workloadapi/support.ts";
import { type MemoryTelemetry, memoryTelemetry } from "./otel-memory.ts";
import { WorkloadApiClient, X509Source } from "../../src/adapters/node/mod.ts";
const { createMtlsClient, serveMtls } = runtimeEntry;

const WEB = "spiffe://example.org/web";
const TTL_MS = 3_600_000;

describe("telemetry of the Workload API", () => {
  let otel: MemoryTelemetry;
  let f: Fixture;
  beforeAll(async () => {
    otel = await memoryTelemetry();
    f = await startFixture({ svidTtlMs: TTL_MS });
  });
  afterAll(async () => {
    await f.dispose();
    await otel.dispose();
  });

  test("updates, gauges, a malformed response, a rotation and the first handshake with the new SVID, an agent restart", async () => {
    const source = await X509Source.create({ address: f.server.address, backoff: FAST_BACKOFF });
    const updates: string[] = [];
    source.onUpdate(({ svid }) => updates.push(svid.serialNumber));
    try {
      expect(await otel.total("spiffe.svid.updates", { "spiffe.id": WEB })).toBe(1);
      expect(await otel.total("spiffe.bundle.updates", { "spiffe.bundle.type": "x509", "spiffe.trust_domain": "example.org" })).toBe(1);
      const [expiry] = await otel.points("spiffe.svid.time_to_expiry");
      expect(expiry!.attributes).toEqual({ "spiffe.id": WEB });
      expect(expiry!.value).toBeGreaterThan(TTL_MS / 1000 - 120);
      expect(expiry!.value).toBeLessThanOrEqual(TTL_MS / 1000);
      const [age] = (await otel.points("spiffe.bundle.age")).filter((p) => p.attributes["spiffe.trust_domain"] === "example.org");
      expect(age!.value).toBeGreaterThanOrEqual(0);
      expect(age!.value).toBeLessThan(60);

      // a malformed response is counted and dropped; the state stays
      f.server.pushRawX509Response({ svids: [] });
      await waitFor(async () => (await otel.total("spiffe.workload_api.refused_updates")) === 1, "the refused update");
      expect(await otel.total("spiffe.workload_api.refused_updates", { "rpc.method": "FetchX509SVID", "error.type": "ERR_WORKLOAD_API_BAD_RESPONSE" })).toBe(1);
      expect(await otel.total("spiffe.svid.updates")).toBe(1);

      // a server on this source; a handshake before the rotation records no rotation delay
      const server = await serveMtls({ port: 0, hostname: "127.0.0.1", source, authorizer: authorizeAny(), fetch: () => new Response("ok") });
      try {
        const get = async (): Promise<number> => {
          const client = createMtlsClient({ source, authorizer: authorizeAny() });
          try {
            return (await client.get(new URL("/", server.url))).status;
          } finally {
            await client.close();
          }
        };
        expect(await get()).toBe(200);
        expect(await otel.total("spiffe.svid.rotation.handshake_delay")).toBe(0);
        await f.server.rotate();
        await waitFor(() => updates.length === 1, "the rotated SVID");
        expect(await otel.total("spiffe.svid.updates", { "spiffe.id": WEB })).toBe(2);
        await delay(20);
        expect(await get()).toBe(200);
        const delays = await otel.points("spiffe.svid.rotation.handshake_delay");
        expect(delays.reduce((a, p) => a + p.value, 0)).toBe(1); // the first handshake only
        expect(delays[0]!.sum!).toBeGreaterThanOrEqual(0.02);
        expect(delays[0]!.sum!).toBeLessThan(10);
        expect(await get()).toBe(200);
        expect((await otel.points("spiffe.svid.rotation.handshake_delay")).reduce((a, p) => a + p.value, 0)).toBe(1);
      } finally {
        await server.close();
      }

      // the agent restarts: the stream fails (counted by code) and the watch reconnects
      await f.server.stop();
      await waitFor(async () => (await otel.total("spiffe.workload_api.reconnects", { "rpc.method": "FetchX509SVID" })) >= 1, "a reconnect");
      const errors = (await otel.points("spiffe.workload_api.stream_errors")).filter((p) => p.attributes["rpc.method"] === "FetchX509SVID");
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(errors.every((p) => p.attributes["error.type"] === "ERR_WORKLOAD_API_UNAVAILABLE")).toBe(true);
      const reconnectsWhileDown = await otel.total("spiffe.workload_api.reconnects");
      await f.server.restart();
      await waitFor(() => f.server.openStreams > 0, "the watch back on the restarted agent");
      expect(source.healthy).toBe(true);
      expect(await otel.total("spiffe.workload_api.reconnects")).toBeGreaterThanOrEqual(reconnectsWhileDown);
      // the agent ends the stream with a status: counted with its gRPC code
      f.server.closeStreams("Unavailable", "agent going away");
      await waitFor(async () => (await otel.total("spiffe.workload_api.stream_errors", { "rpc.grpc.status_code": 14 })) >= 1, "the Unavailable status");
    } finally {
      await source.close();
    }
  });

  test("a client span per Workload API call, with the RPC conventions and no token", async () => {
    const fresh = await startFixture(); // an agent that never restarted
    const client = new WorkloadApiClient({ address: fresh.server.address });
    try {
      const before = otel.spans().length;
      await client.fetchX509Context();
      const jwt = await client.fetchJwtSvid({ audience: "db" });
      // no agent at all: the call fails with Unavailable
      const nowhere = new WorkloadApiClient({ address: `unix://${fresh.dir}/no-agent.sock` });
      await expect(nowhere.fetchJwtSvid({ audience: "db" })).rejects.toThrow();
      await nowhere.close();
      const byName = (name: string) => otel.spans().slice(before).filter((s) => s.name === name).at(-1)!;
      const x509 = byName("SpiffeWorkloadAPI/FetchX509SVID");
      expect(x509.kind).toBe(2); // CLIENT
      // the one-shot fetch cancels the stream once it has its answer: CANCELLED, and no error
      expect(x509.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.service": "SpiffeWorkloadAPI", "rpc.method": "FetchX509SVID", "rpc.grpc.status_code": 1, "network.transport": "unix", "server.address": fresh.server.socketPath! });
      expect(x509.status.code).toBe(0);
      const [jwtSpan, failed] = otel.spans().slice(before).filter((s) => s.name === "SpiffeWorkloadAPI/FetchJWTSVID");
      expect(failed!.attributes["server.address"]).toBe(`${fresh.dir}/no-agent.sock`);
      expect(jwtSpan!.attributes["rpc.grpc.status_code"]).toBe(0);
      expect(failed!.attributes["rpc.grpc.status_code"]).toBeGreaterThan(1); // Internal (13) on a missing socket, as Connect reports it
      expect(failed!.status.code).toBe(2); // ERROR
      for (const s of otel.spans()) expect(JSON.stringify(s.attributes)).not.toContain(jwt.token.split(".")[1]!);
    } finally {
      await client.close();
      await fresh.dispose();
    }
  });
});
