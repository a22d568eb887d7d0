// Fault: the Workload API server (the agent) goes away while clients send requests, and
// comes back on the same socket. Short mode (LOAD_MODE=short): 2 s outage, 10 clients;
// full: 5 s, 50 clients.
import { describe, expect, test } from "bun:test";
import { BACKOFF, CLIENT_ID, delay, HandshakeLog, pick, runClients, SERVER_ID, startAgent, startMtlsServer, SvidHistory, waitFor } from "./support.ts";

const OUTAGE_MS = pick(2_000, 5_000);
const CLIENTS = pick(10, 50);
const GRACE_MS = 500;

describe("load: agent restart", () => {
  test(`Workload API down for ${OUTAGE_MS} ms under load (${CLIENTS} clients): sources keep the last SVID, reconnect with backoff, pick up the next one; no failed request`, async () => {
    const agent = await startAgent();
    const clientHistory = new SvidHistory(agent.clientSource);
    const serverHistory = new SvidHistory(agent.serverSource);
    const seenByServer = new HandshakeLog(clientHistory, GRACE_MS, CLIENT_ID);
    const seenByClients = new HandshakeLog(serverHistory, GRACE_MS, SERVER_ID);
    const server = await startMtlsServer(agent.serverSource, seenByServer.authorizer());
    let running = true;
    const load = runClients({
      source: agent.clientSource,
      authorizer: () => seenByClients.authorizer(),
      url: new URL("/hello", server.url),
      clients: CLIENTS,
      running: () => running,
      expectedId: CLIENT_ID,
    });
    try {
      await delay(500);
      const before = { client: agent.clientSource.getX509Svid().serialNumber, server: agent.serverSource.getX509Svid().serialNumber };
      const handshakesBefore = seenByServer.count;
      expect(handshakesBefore).toBeGreaterThan(0);

      // the agent dies: the sources keep serving the last good SVID
      await agent.server.stop();
      const outageStart = Date.now();
      const errorsBefore = agent.errors.length;
      let unhealthy = 0;
      let changed = 0;
      while (Date.now() - outageStart < OUTAGE_MS) {
        if (!agent.clientSource.healthy || !agent.serverSource.healthy) unhealthy++;
        if (agent.clientSource.getX509Svid().serialNumber !== before.client || agent.serverSource.getX509Svid().serialNumber !== before.server) changed++;
        await delay(50);
      }
      const outageErrors = agent.errors.slice(errorsBefore);
      const handshakesDuringOutage = seenByServer.count - handshakesBefore;

      // the agent comes back on the same socket; the sources reconnect, then a rotation arrives
      await agent.server.restart();
      await waitFor(() => agent.server.openStreams >= 2, "both sources reconnected", 5_000);
      const reconnectedAfterMs = Date.now() - outageStart - OUTAGE_MS;
      await agent.server.rotate();
      await waitFor(() => clientHistory.entries.length === 2 && serverHistory.entries.length === 2, "the rotated SVIDs", 5_000);
      const rotatedAt = Date.now();
      await waitFor(() => (seenByServer.byIndex.get(1) ?? 0) > 0 && (seenByClients.byIndex.get(1) ?? 0) > 0, "handshakes with the new SVIDs", 5_000);
      await delay(Math.max(0, GRACE_MS + 300 - (Date.now() - rotatedAt)));
      running = false;
      const { ok, failures } = await load;
      console.log(
        `agent restart: ${ok} requests ok, ${failures.length} failed, ${outageErrors.length} reported problems during the outage ` +
          `(${[...new Set(outageErrors.map((e) => e.code))].join(", ")}), ${handshakesDuringOutage} handshakes during the outage, ` +
          `reconnected ${reconnectedAfterMs} ms after the restart`,
      );

      expect(failures.slice(0, 5)).toEqual([]);
      expect(unhealthy).toBe(0);
      expect(changed).toBe(0);
      expect(handshakesDuringOutage).toBeGreaterThan(0); // new connections kept working on the last SVID
      // every retry was reported as Unavailable, and spaced by the backoff: not a tight loop
      expect(outageErrors.length).toBeGreaterThanOrEqual(2);
      expect(new Set(outageErrors.map((e) => e.code))).toEqual(new Set(["ERR_WORKLOAD_API_UNAVAILABLE"]));
      // per source: the first delays (50, 100, 200 ms) then one attempt per maxDelayMs (±jitter), plus the dropped stream
      const attemptsPerSource = 6 + OUTAGE_MS / (BACKOFF.maxDelayMs * (1 - BACKOFF.jitter));
      expect(outageErrors.length).toBeLessThanOrEqual(2 * attemptsPerSource);
      // after the rotation, handshakes present the new SVIDs (the grace covers handshakes already under way)
      expect(seenByServer.problems.slice(0, 5)).toEqual([]);
      expect(seenByClients.problems.slice(0, 5)).toEqual([]);
      expect(ok).toBeGreaterThan(CLIENTS);
    } finally {
      running = false;
      await load.catch(() => undefined);
      clientHistory.stop();
      serverHistory.stop();
      await server.close({ timeoutMs: 2_000 });
      await agent.dispose();
    }
  });
});
