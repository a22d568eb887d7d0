// The documented Prometheus set-up: OpenTelemetry's Prometheus exporter as the metric reader,
// its text served by serveMtls's health listener at /metrics, scraped over plain HTTP.
import { expect, test } from "bun:test";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { authorizeId, ConfigError, enableTelemetry } from "../../mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { CLIENT_ID, createTlsPki, REFUSED_ID, SERVER_ID, sourceOf } from "../tls/tls-fixtures.ts";
const { createMtlsClient, serveMtls } = runtimeEntry;

test("GET /metrics on the health port: the SDK's metrics in the Prometheus text format", async () => {
  const pki = await createTlsPki();
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const telemetry = await enableTelemetry({ meterProvider, tracerProvider: null });
  const serializer = new PrometheusSerializer();
  const server = await serveMtls({
    port: 0,
    hostname: "127.0.0.1",
    source: await sourceOf(pki, SERVER_ID),
    authorizer: authorizeId(CLIENT_ID),
    fetch: () => new Response("ok"),
    health: { port: 0, hostname: "127.0.0.1", metrics: async () => serializer.serialize((await exporter.collect()).resourceMetrics) },
  });
  try {
    for (const id of [CLIENT_ID, REFUSED_ID]) {
      const client = createMtlsClient({ source: await sourceOf(pki, id), authorizer: authorizeId(SERVER_ID) });
      await client.get(new URL("/", server.url)).catch(() => undefined);
      await client.close();
    }
    const response = await fetch(new URL("/metrics", server.healthUrl));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    expect(text).toMatch(/^# HELP spiffe_tls_handshakes_total /m);
    expect(text).toMatch(/^spiffe_tls_handshakes_total\{[^}]*spiffe_tls_side="server"[^}]*spiffe_tls_outcome="accepted"[^}]*\} 1\b/m);
    expect(text).toMatch(/^spiffe_tls_handshakes_total\{[^}]*spiffe_tls_side="server"[^}]*spiffe_tls_outcome="refused",error_type="ERR_AUTHZ_UNEXPECTED_ID"[^}]*\} 1\b/m);
    expect(text).toMatch(/^spiffe_authorization_refusals_total\{[^}]*\} 1\b/m);
    expect(text).toMatch(/^spiffe_tls_peer_verification_duration_count\{[^}]*spiffe_tls_side="server"[^}]*\} \d/m);
    // the probes still answer
    expect((await fetch(new URL("/readyz", server.healthUrl))).status).toBe(200);
  } finally {
    telemetry.disable();
    await server.close();
    await meterProvider.shutdown();
  }
});

test("without the metrics option /metrics is 404; a metrics option that is no function is refused", async () => {
  const pki = await createTlsPki();
  const source = await sourceOf(pki, SERVER_ID);
  const server = await serveMtls({ port: 0, hostname: "127.0.0.1", source, authorizer: authorizeId(CLIENT_ID), fetch: () => new Response("ok"), health: { port: 0, hostname: "127.0.0.1" } });
  try {
    expect((await fetch(new URL("/metrics", server.healthUrl))).status).toBe(404);
  } finally {
    await server.close();
  }
  const refused = serveMtls({ port: 0, source, authorizer: authorizeId(CLIENT_ID), fetch: () => new Response("ok"), health: { port: 0, metrics: "text" as never } });
  await expect(refused).rejects.toBeInstanceOf(ConfigError);
  await expect(refused).rejects.toThrow(/health\.metrics/);
});
