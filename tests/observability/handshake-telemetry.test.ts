// OpenTelemetry metrics and spans of peer verification, with in-memory providers: accepted
// and refused handshakes (by reason), on the server and the client side, per mode.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { metrics } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { authorizeAny, authorizeId, enableTelemetry } from "../../mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { CLIENT_ID, createTlsPki, REFUSED_ID, SERVER_ID, sourceOf, type TlsPki } from "../tls/tls-fixtures.ts";
import { type MemoryTelemetry, memoryTelemetry } from "./otel-memory.ts";
const { createMtlsClient, serveMtls } = runtimeEntry;

const HANDSHAKES = "spiffe.tls.handshakes";
const common = { port: 0, hostname: "127.0.0.1" } as const;
const ok = () => new Response("ok");

let pki: TlsPki;
beforeAll(async () => {
  pki = await createTlsPki();
});

/** One request from a fresh client (one new connection); its status, or the error's code. */
async function call(url: URL, options: Parameters<typeof createMtlsClient>[0]): Promise<number | string> {
  const client = createMtlsClient(options);
  try {
    return (await client.get(url)).status;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).name;
  } finally {
    await client.close();
  }
}

describe("telemetry of peer verification", () => {
  let otel: MemoryTelemetry;
  beforeAll(async () => {
    otel = await memoryTelemetry({ peerVerificationSpans: true });
  });
  afterAll(async () => {
    await otel.dispose();
  });

  test('mode "mtls": accepted and refused peers, server and client side, by reason', async () => {
    const server = await serveMtls({ ...common, source: await sourceOf(pki, SERVER_ID), authorizer: authorizeId(CLIENT_ID), fetch: ok });
    try {
      const url = new URL("/", server.url);
      expect(await call(url, { source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) })).toBe(200);
      expect(typeof (await call(url, { source: await sourceOf(pki, REFUSED_ID), authorizer: authorizeId(SERVER_ID) }))).toBe("string");
      expect(typeof (await call(url, { source: await sourceOf(pki, CLIENT_ID, { ca: pki.stranger }), authorizer: authorizeId(SERVER_ID) }))).toBe("string");
      // the client refuses the server: it expected another ID
      expect(await call(url, { source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId("spiffe://example.org/elsewhere") })).toBe("ERR_AUTHZ_UNEXPECTED_ID");
      const server_ = { "spiffe.tls.side": "server", "spiffe.tls.mode": "mtls" };
      const client_ = { "spiffe.tls.side": "client", "spiffe.tls.mode": "mtls" };
      await waitUntil(async () => (await otel.total(HANDSHAKES, { ...server_, "spiffe.tls.outcome": "refused" })) === 2, "two refusals on the server");
      await new Promise((r) => setTimeout(r, 200)); // the server may still be verifying the last client
      // the server accepted the first client (and may have accepted the last before it hung up)
      const serverAccepted = await otel.total(HANDSHAKES, { ...server_, "spiffe.tls.outcome": "accepted" });
      expect(serverAccepted === 1 || serverAccepted === 2).toBe(true);
      expect(await otel.total(HANDSHAKES, { ...server_, "spiffe.tls.outcome": "refused", "error.type": "ERR_AUTHZ_UNEXPECTED_ID" })).toBe(1);
      expect(await otel.total(HANDSHAKES, { ...server_, "spiffe.tls.outcome": "refused", "error.type": "ERR_X509_SVID_UNTRUSTED" })).toBe(1);
      // the clients of the first three calls accepted the server; the last one refused it
      expect(await otel.total(HANDSHAKES, { ...client_, "spiffe.tls.outcome": "accepted" })).toBe(3);
      expect(await otel.total(HANDSHAKES, { ...client_, "spiffe.tls.outcome": "refused", "error.type": "ERR_AUTHZ_UNEXPECTED_ID" })).toBe(1);
      expect(await otel.total("spiffe.authorization.refusals", { ...server_, "error.type": "ERR_AUTHZ_UNEXPECTED_ID" })).toBe(1);
      expect(await otel.total("spiffe.authorization.refusals", { ...client_, "error.type": "ERR_AUTHZ_UNEXPECTED_ID" })).toBe(1);
      // the untrusted chain is no authorization refusal
      expect(await otel.total("spiffe.authorization.refusals", { "error.type": "ERR_X509_SVID_UNTRUSTED" })).toBe(0);
      // one duration per verification, in seconds
      const durations = (await otel.points("spiffe.tls.peer_verification.duration")).filter((p) => p.attributes["spiffe.tls.side"] === "server");
      expect(durations.reduce((a, p) => a + p.value, 0)).toBe(serverAccepted + 2);
      for (const d of durations) expect(d.sum! / d.value).toBeLessThan(5);

      // opt-in spans: the peer's SPIFFE ID when known, the reason when refused, never keys or certificates
      const spans = otel.spans().filter((s) => s.name === "spiffe.tls.verify_peer" && s.attributes["spiffe.tls.side"] === "server");
      expect(spans.length).toBe(serverAccepted + 2);
      const accepted = spans.filter((s) => s.attributes["spiffe.tls.outcome"] === "accepted");
      expect(accepted.length).toBe(serverAccepted);
      expect(accepted.every((s) => s.attributes["spiffe.peer.id"] === CLIENT_ID)).toBe(true);
      expect(accepted[0]!.attributes["network.peer.address"]).toBe("127.0.0.1");
      const refused = spans.filter((s) => s.attributes["spiffe.tls.outcome"] === "refused");
      expect(refused.map((s) => s.attributes["error.type"]).sort()).toEqual(["ERR_AUTHZ_UNEXPECTED_ID", "ERR_X509_SVID_UNTRUSTED"]);
      expect(refused.find((s) => s.attributes["error.type"] === "ERR_AUTHZ_UNEXPECTED_ID")!.attributes["spiffe.peer.id"]).toBe(REFUSED_ID);
      expect(refused.every((s) => s.status.code === 2)).toBe(true);
      for (const s of otel.spans()) expect(JSON.stringify(s.attributes)).not.toMatch(/BEGIN|PRIVATE|MII/);
    } finally {
      await server.close();
    }
  });

  test('mode "tls": the client verifies the server; the server verifies no one', async () => {
    const before = await otel.total(HANDSHAKES, { "spiffe.tls.side": "server" });
    const server = await serveMtls({ ...common, mode: "tls", source: await sourceOf(pki, SERVER_ID), fetch: ok });
    try {
      const url = new URL("/", server.url);
      const clientSource = await sourceOf(pki, CLIENT_ID);
      expect(await call(url, { mode: "tls", source: clientSource, authorizer: authorizeId(SERVER_ID) })).toBe(200);
      expect(await call(url, { mode: "tls", source: clientSource, authorizer: authorizeAny() })).toBe(200);
      expect(await call(url, { mode: "tls", source: clientSource, authorizer: authorizeId(CLIENT_ID) })).toBe("ERR_AUTHZ_UNEXPECTED_ID");
      const tls = { "spiffe.tls.side": "client", "spiffe.tls.mode": "tls" };
      expect(await otel.total(HANDSHAKES, { ...tls, "spiffe.tls.outcome": "accepted" })).toBe(2);
      expect(await otel.total(HANDSHAKES, { ...tls, "spiffe.tls.outcome": "refused", "error.type": "ERR_AUTHZ_UNEXPECTED_ID" })).toBe(1);
      expect(await otel.total(HANDSHAKES, { "spiffe.tls.side": "server" })).toBe(before);
    } finally {
      await server.close();
    }
  });

  test("after disable() nothing more is recorded", async () => {
    const local = await memoryTelemetry();
    local.telemetry.disable();
    const server = await serveMtls({ ...common, source: await sourceOf(pki, SERVER_ID), authorizer: authorizeAny(), fetch: ok });
    try {
      expect(await call(new URL("/", server.url), { source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) })).toBe(200);
      expect(await local.total(HANDSHAKES)).toBe(0);
    } finally {
      await server.close();
      await local.dispose();
    }
  });

  test("enableTelemetry() without providers uses the global ones of @opentelemetry/api", async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    const telemetry = await enableTelemetry();
    const server = await serveMtls({ ...common, source: await sourceOf(pki, SERVER_ID), authorizer: authorizeAny(), fetch: ok });
    try {
      expect(await call(new URL("/", server.url), { source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) })).toBe(200);
      await reader.forceFlush();
      const names = exporter.getMetrics().flatMap((r) => r.scopeMetrics.filter((m) => m.scope.name === "@spiffe-ts/sdk").flatMap((m) => m.metrics.map((x) => x.descriptor.name)));
      expect(names).toContain(HANDSHAKES);
    } finally {
      telemetry.disable();
      await server.close();
      metrics.disable();
      await provider.shutdown();
    }
  });
});
