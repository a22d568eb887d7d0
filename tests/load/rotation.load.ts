// Load: the SVID rotates every second while concurrent clients keep sending requests through
// serveMtls + createMtlsClient (both on X509Sources from the development Workload API server).
// Short mode (LOAD_MODE=short): 5 s, 10 clients; full: 30 s, 50 clients.
import { describe, expect, test } from "bun:test";
import { CLIENT_ID, HandshakeLog, pick, runClients, SERVER_ID, startAgent, startMtlsServer, SvidHistory } from "./support.ts";

const DURATION_MS = pick(5_000, 30_000);
const CLIENTS = pick(10, 50);
const ROTATE_EVERY_MS = 1_000;
/** Requests per client connection before the worker opens a new one (keeps handshakes coming). */
const REQUESTS_PER_CONNECTION = 5;
/** A handshake verified this long after a rotation must present the new SVID. */
const GRACE_MS = 500;

describe("load: rotation under load", () => {
  test(`SVID rotated every ${ROTATE_EVERY_MS} ms for ${DURATION_MS} ms, ${CLIENTS} concurrent clients: no failed request, new handshakes present the new SVID`, async () => {
    const agent = await startAgent({ rotateEveryMs: ROTATE_EVERY_MS });
    const clientHistory = new SvidHistory(agent.clientSource);
    const serverHistory = new SvidHistory(agent.serverSource);
    const seenByServer = new HandshakeLog(clientHistory, GRACE_MS, CLIENT_ID);
    const seenByClients = new HandshakeLog(serverHistory, GRACE_MS, SERVER_ID);
    const server = await startMtlsServer(agent.serverSource, seenByServer.authorizer());
    const url = new URL("/hello", server.url);
    try {
      const end = Date.now() + DURATION_MS;
      const { ok, failures } = await runClients({
        source: agent.clientSource,
        authorizer: () => seenByClients.authorizer(),
        url,
        clients: CLIENTS,
        running: () => Date.now() < end,
        expectedId: CLIENT_ID,
        requestsPerConnection: REQUESTS_PER_CONNECTION,
      });
      const rotations = clientHistory.entries.length - 1;
      console.log(
        `rotation under load: ${ok} requests ok, ${failures.length} failed, ${rotations} rotations, ` +
          `${seenByServer.count} handshakes seen by the server, ${seenByClients.count} by the clients`,
      );
      expect(failures.slice(0, 5)).toEqual([]);
      expect(ok).toBeGreaterThan(CLIENTS * 2);
      // the rotations really happened, and handshakes after each one presented the new SVIDs
      expect(rotations).toBeGreaterThanOrEqual(Math.floor(DURATION_MS / ROTATE_EVERY_MS) - 2);
      expect(serverHistory.entries.length - 1).toBeGreaterThanOrEqual(Math.floor(DURATION_MS / ROTATE_EVERY_MS) - 2);
      expect(seenByServer.problems.slice(0, 5)).toEqual([]);
      expect(seenByClients.problems.slice(0, 5)).toEqual([]);
      const rotatedAndSeen = (log: HandshakeLog, history: SvidHistory): number =>
        history.entries.slice(1, -1).filter((_, i) => (log.byIndex.get(i + 1) ?? 0) > 0).length;
      // every SVID but the last one (which may have arrived at the very end) was presented
      expect(rotatedAndSeen(seenByServer, clientHistory)).toBe(clientHistory.entries.length - 2);
      expect(rotatedAndSeen(seenByClients, serverHistory)).toBe(serverHistory.entries.length - 2);
    } finally {
      clientHistory.stop();
      serverHistory.stop();
      await server.close({ timeoutMs: 2_000 });
      await agent.dispose();
    }
  });
});
