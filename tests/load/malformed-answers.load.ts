// Fault: the Workload API answers with malformed X509SVIDResponses (empty fields, undecodable
// certificates, wrong keys) between good ones, while an mTLS server keeps using the source.
// Each problem must reach onError once and the `logger` once (the logger is rate-limited:
// the same problem again within its interval is only counted). Truncated and garbage gRPC
// frames are in tests/workloadapi/grpc-frame-faults.test.ts (a raw HTTP/2 stub sends them).
// Short mode (LOAD_MODE=short): 1 round; full: 5 rounds.
import { describe, expect, test } from "bun:test";
import { authorizeId } from "../../mod.ts";
import { rawX509SvidResponse, type RawX509SvidResponse } from "../../src/testing/mod.ts";
import { CLIENT_ID, delay, pick, runClients, SERVER_ID, type SourceName, startAgent, startMtlsServer, waitFor } from "./support.ts";

const ROUNDS = pick(1, 5);
/** The client's log rate limit: one line per problem per 30 s (src/workloadapi/logger.ts). */
const LOG_INTERVAL_MS = 30_000;
/** After a report, wait this long to be sure the same problem is not reported again. */
const QUIET_MS = pick(150, 300);

describe("load: malformed Workload API answers", () => {
  test(`${ROUNDS} round(s) of malformed answers: the last good SVID stays, each problem is reported once, the next good answer is taken`, async () => {
    const agent = await startAgent();
    const { ca, server: wlapi, serverSource } = agent;
    const server = await startMtlsServer(serverSource, authorizeId(CLIENT_ID));
    let running = true;
    const load = runClients({ source: agent.clientSource, authorizer: () => authorizeId(SERVER_ID), url: new URL("/hello", server.url), clients: 2, running: () => running, expectedId: CLIENT_ID });
    let updates = 0;
    const stop = serverSource.onUpdate(() => updates++);
    const problems: string[] = [];
    /** Per source: when each reason was last logged. */
    const loggedAt: Record<SourceName, Map<string, number>> = { server: new Map(), client: new Map() };
    let logLines = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const svid = await ca.issueX509Svid({ id: SERVER_ID });
        const other = await ca.issueX509Svid({ id: "spiffe://example.org/other" });
        const client = await ca.issueX509Svid({ id: CLIENT_ID });
        const good = rawX509SvidResponse(ca, [svid, client]);
        const base = good.svids![0]!;
        const variants: [string, RawX509SvidResponse][] = [
          ["no SVIDs", { svids: [] }],
          ["empty response", {}],
          ["empty spiffe_id", { svids: [{ ...base, spiffeId: "" }] }],
          ["empty certificate", { svids: [{ ...base, x509Svid: new Uint8Array() }] }],
          ["empty key", { svids: [{ ...base, x509SvidKey: new Uint8Array() }] }],
          ["empty bundle", { svids: [{ ...base, bundle: new Uint8Array() }] }],
          ["undecodable certificate", { svids: [{ ...base, x509Svid: crypto.getRandomValues(new Uint8Array(300)) }] }],
          ["truncated certificate", { svids: [{ ...base, x509Svid: base.x509Svid!.slice(0, base.x509Svid!.length - 20) }] }],
          ["undecodable key", { svids: [{ ...base, x509SvidKey: new Uint8Array([0x30, 0x01, 0]) }] }],
          ["key of another SVID", { svids: [{ ...base, x509SvidKey: other.privateKey }] }],
          ["undecodable bundle", { svids: [{ ...base, bundle: new Uint8Array([0xff, 0xff, 0x00]) }] }],
          ["spiffe_id differs from the certificate", { svids: [{ ...base, spiffeId: "spiffe://example.org/other" }] }],
          ["undecodable federated bundle", { ...good, federatedBundles: { "spiffe://fed.example": new Uint8Array([1, 2, 3]) } }],
        ];
        for (const [name, variant] of variants) {
          const last = serverSource.getX509Svid().serialNumber;
          const errorsBefore = agent.errors.length;
          const reportsBefore = agent.reports.length;
          const logsBefore = agent.logs.length;
          const updatesBefore = updates;
          wlapi.pushRawX509Response(variant);
          await waitFor(() => agent.errors.length > errorsBefore, `the report of "${name}"`, 5_000);
          await delay(QUIET_MS);
          const reported = agent.errors.slice(errorsBefore);
          // both sources watch the same stream content, so each reports it once
          if (reported.length !== 2) problems.push(`${name}: reported ${reported.length} times`);
          if (reported.some((e) => e.code !== "ERR_WORKLOAD_API_BAD_RESPONSE")) problems.push(`${name}: codes ${reported.map((e) => e.code).join(", ")}`);
          // each source reports it once to onError, and to its logger once unless it logged
          // the same problem less than LOG_INTERVAL_MS ago (±1 s: the limiter has its own clock)
          const newLines = agent.logs.slice(logsBefore);
          logLines += newLines.length;
          for (const source of ["server", "client"] as const) {
            const mine = agent.reports.slice(reportsBefore).filter((r) => r.source === source);
            const lines = newLines.filter((l) => l.source === source);
            if (mine.length !== 1) {
              problems.push(`${name}: the ${source} source reported it ${mine.length} times to onError`);
              continue;
            }
            const { error, at } = mine[0]!;
            const since = at - (loggedAt[source].get(error.message) ?? -Infinity);
            const expected = since >= LOG_INTERVAL_MS + 1_000 ? 1 : since <= LOG_INTERVAL_MS - 1_000 ? 0 : lines.length;
            if (lines.length !== expected || lines.length > 1) problems.push(`${name}: the ${source} source logged it ${lines.length} times (expected ${expected})`);
            for (const l of lines) {
              const got = [l.level, l.message, l.fields.method, l.fields.code, l.fields.reason];
              const want = ["warn", "Workload API response discarded", "FetchX509SVID", error.code, error.message];
              if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${name}: the ${source} source logged ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
              loggedAt[source].set(error.message, l.at);
            }
          }
          if (updates !== updatesBefore) problems.push(`${name}: accepted as an update`);
          if (!serverSource.healthy || serverSource.getX509Svid().serialNumber !== last) problems.push(`${name}: the last good SVID was not kept`);
          // and the next good answer is taken
          wlapi.pushRawX509Response(good);
          await waitFor(() => serverSource.getX509Svid().serialNumber === svid.serialNumber, `recovery after "${name}"`, 5_000);
          // the client's source reads its own stream: it may take the same answer a moment later
          await waitFor(() => agent.clientSource.getX509Svid().serialNumber === client.serialNumber, `client recovery after "${name}"`, 5_000);
          // a good answer identical to the current state is not an update: reissue for the next variant
          if (updates === updatesBefore && last !== svid.serialNumber) problems.push(`${name}: recovery not reported as an update`);
          const fresh = await ca.issueX509Svid({ id: SERVER_ID });
          wlapi.pushRawX509Response(rawX509SvidResponse(ca, [fresh, client]));
          await waitFor(() => serverSource.getX509Svid().serialNumber === fresh.serialNumber, "the next SVID", 5_000);
        }
      }
      running = false;
      const { ok, failures } = await load;
      console.log(
        `malformed answers: ${ROUNDS} round(s), ${agent.errors.length} reports, ${logLines} log lines, ${updates} updates; ` +
          `mTLS traffic meanwhile ${ok} ok / ${failures.length} failed`,
      );
      expect(problems).toEqual([]);
      // every log line the sources wrote is one of the discarded answers checked above
      expect(agent.logs.length).toBe(logLines);
      expect(logLines).toBeGreaterThan(0);
      expect(failures.slice(0, 5)).toEqual([]);
      expect(ok).toBeGreaterThan(0);
    } finally {
      running = false;
      await load.catch(() => undefined);
      stop();
      await server.close({ timeoutMs: 2_000 });
      await agent.dispose();
    }
  });
});
