import { createServer, type Server } from "node:http";
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

/**
 * Serves `GET /healthz` (200 while the process runs) and `GET /readyz` (what `ready()` says:
 * 200 with the SPIFFE ID and expiry while the SVID is valid, else 503). Everything else is 404.
 */
export async function startHealthServer(ready: () => { status: 200 | 503; body: Record<string, unknown> }, port: number, hostname: string): Promise<HealthServer> {
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

/** A wildcard bind is reached through loopback. */
export function displayHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
