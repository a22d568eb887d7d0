import { createServer, type Server, type ServerResponse } from "node:http";
import { resolveX509Bundle, type X509BundleSourceLike } from "../../core/bundle/x509-bundle-source.ts";
import { TrustDomain } from "../../core/spiffeid/trust-domain.ts";
import type { X509SvidSource } from "../../core/svid/x509/x509-svid-source.ts";
import { listen } from "./listen.ts";

/** A plain-HTTP listener for Kubernetes probes (which cannot do mTLS). */
export interface HealthServer {
  readonly url: URL;
  close(): Promise<void>;
}

/** What `/readyz` reports: ready only while the source holds an SVID that has not expired. */
export function readiness(source: X509SvidSource, now: Date): { status: 200 | 503; body: Record<string, unknown> } {
  let svid;
  try {
    svid = source.getX509Svid();
  } catch (err) {
    return { status: 503, body: { status: "unavailable", reason: "no X.509-SVID", code: (err as { code?: unknown }).code ?? null } };
  }
  const body = { spiffeId: svid.id.toString(), expiresAt: svid.expiresAt.toISOString() };
  if (svid.expiresAt.getTime() <= now.getTime()) return { status: 503, body: { status: "unavailable", reason: "X.509-SVID expired", ...body } };
  return { status: 200, body: { status: "ready", ...body } };
}

/** A trust domain no bundle source holds: looking it up tells whether the source answers at all. */
const PROBE_TRUST_DOMAIN = TrustDomain.parse("readiness-probe.spiffe-ts.invalid");

/**
 * Whether a bundle source can answer lookups now (an X509Source cannot while the Workload
 * API grants the workload no identity): the reason and code when it cannot, else undefined.
 */
export function bundleSourceProblem(source: X509BundleSourceLike): { reason: string; code: unknown } | undefined {
  try {
    resolveX509Bundle(source, PROBE_TRUST_DOMAIN);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause === undefined) return undefined; // answered: it simply has no bundle for the probe
    return { reason: "the bundle source cannot verify clients now", code: (cause as { code?: unknown }).code ?? null };
  }
  return undefined;
}

/**
 * Serves `GET /healthz` (200 while the process runs), `GET /readyz` (what `ready()` says:
 * 200 with the SPIFFE ID and expiry while the SVID is valid, else 503) and, given `metrics`,
 * `GET /metrics` (its text, Prometheus exposition format; 500 when it fails). Everything else is 404.
 */
export async function startHealthServer(ready: () => { status: 200 | 503; body: Record<string, unknown> }, port: number, hostname: string, metrics?: () => string | Promise<string>): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://health.invalid").pathname;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, { status: "method not allowed" });
    if (path === "/healthz") return send(200, { status: "ok" });
    if (path === "/readyz") {
      const r = ready();
      return send(r.status, r.body);
    }
    if (path === "/metrics" && metrics) return void serveMetrics(metrics, res);
    send(404, { status: "not found" });
  });
  const bound = await listen(server, port, hostname);
  return {
    url: new URL(`http://${displayHost(hostname)}:${bound}/`),
    close: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections?.();
    }),
  };
}

/** Content type of the Prometheus text exposition format. */
const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

async function serveMetrics(metrics: () => string | Promise<string>, res: ServerResponse): Promise<void> {
  let text: string;
  try {
    text = String(await metrics());
  } catch {
    res.writeHead(500, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify({ status: "metrics unavailable" }));
    return;
  }
  res.writeHead(200, { "content-type": PROMETHEUS_TEXT, "cache-control": "no-store" }).end(text);
}

/** A wildcard bind is reached through loopback. */
export function displayHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
