// The SDK's Logger is (message, fields). Real pino (through fromPino), winston and console
// instances, writing to captured streams, keep the structured fields; and the audit log
// writes one line per accepted or refused peer, bounded per interval.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Console } from "node:console";
import { Writable } from "node:stream";
import pino from "pino";
import winston from "winston";
import { addSpiffeTrace, authorizeId, createAuditLog, fromPino, type Logger } from "../../mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { CLIENT_ID, createTlsPki, REFUSED_ID, SERVER_ID, sourceOf, type TlsPki } from "../tls/tls-fixtures.ts";
import { WorkloadApiClient } from "../../src/adapters/node/mod.ts";
const { createMtlsClient, serveMtls } = runtimeEntry;

/** A stream that keeps what is written to it, line by line. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter((l) => l !== ""));
      done();
    },
  });
  return { stream, lines };
}

/** A watch on a socket nobody listens on: the client logs its retries (a real SDK log line with fields). */
async function logRetry(logger: Logger, dir: string): Promise<void> {
  const client = new WorkloadApiClient({ address: `unix://${dir}/nobody.sock`, logger, backoff: { initialDelayMs: 10, maxDelayMs: 10, jitter: 0 } });
  const stop = new AbortController();
  const watch = client.watchX509Context({ signal: stop.signal });
  const next = watch.next();
  await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  await next;
  await client.close();
}

const tmp = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.TMPDIR ?? "/tmp";

describe("loggers", () => {
  test("pino through fromPino keeps the fields; passed as is it would drop them", async () => {
    const { stream, lines } = capture();
    const logger = pino({ level: "debug" }, stream);
    await logRetry(fromPino(logger), tmp);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, msg: "Workload API watch failed; retrying", method: "FetchX509SVID", code: "ERR_WORKLOAD_API_UNAVAILABLE", endpoint: `unix://${tmp}/nobody.sock` });
    expect(typeof line.retryInMs).toBe("number");
    fromPino(logger).debug!("checked", { spiffeId: "spiffe://example.org/a" });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ level: 20, msg: "checked", spiffeId: "spiffe://example.org/a" });
    // the reason fromPino exists: pino reads (fields, message), so (message, fields) loses the fields
    const warn = logger.warn as unknown as (...args: unknown[]) => void;
    warn.call(logger, "direct", { spiffeId: "spiffe://example.org/a" });
    expect(JSON.parse(lines.at(-1)!).spiffeId).toBeUndefined();
  });

  test("winston is a Logger as it is (message, meta) and keeps the fields", async () => {
    const { stream, lines } = capture();
    const logger = winston.createLogger({ level: "debug", format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
    const asSdkLogger: Logger = logger;
    await logRetry(asSdkLogger, tmp);
    await waitUntil(() => lines.length > 0, "winston's line");
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "warn", message: "Workload API watch failed; retrying", method: "FetchX509SVID", code: "ERR_WORKLOAD_API_UNAVAILABLE" });
  });

  test("console is a Logger as it is: the fields are printed after the message", async () => {
    const { stream, lines } = capture();
    const logger: Logger = new Console({ stdout: stream, stderr: stream });
    await logRetry(logger, tmp);
    expect(lines[0]).toContain("Workload API watch failed; retrying");
    expect(lines.join("\n")).toContain("ERR_WORKLOAD_API_UNAVAILABLE");
  });
});

describe("audit log", () => {
  let pki: TlsPki;
  beforeAll(async () => {
    pki = await createTlsPki();
  });
  let remove: (() => void) | undefined;
  afterAll(() => remove?.());

  test("one line per accepted and refused peer (ID, reason, address), then at most N per interval and a suppressed count", async () => {
    const { stream, lines } = capture();
    remove = addSpiffeTrace(createAuditLog(fromPino(pino(stream)), { maxLinesPerInterval: 3, intervalMs: 2000 }));
    const server = await serveMtls({ port: 0, hostname: "127.0.0.1", source: await sourceOf(pki, SERVER_ID), authorizer: authorizeId(CLIENT_ID), fetch: () => new Response("ok") });
    const call = async (id: string): Promise<void> => {
      const client = createMtlsClient({ source: await sourceOf(pki, id), authorizer: authorizeId(SERVER_ID) });
      await client.get(new URL("/", server.url)).catch(() => undefined);
      await client.close();
    };
    try {
      await call(CLIENT_ID); // server accepts, client accepts: 2 lines
      await call(REFUSED_ID); // client accepts, server refuses: 2 lines, the 4th is over the limit
      for (let i = 0; i < 3; i++) await call(REFUSED_ID);
      const audit = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      await waitUntil(() => audit().some((l) => l.msg === "spiffe audit: lines suppressed"), "the suppressed count", 6000);
      const all = audit();
      const peers = all.filter((l) => l.event === "spiffe.peer");
      expect(peers.length).toBe(3);
      const serverAccepted = peers.find((l) => l.side === "server" && l.outcome === "accepted")!;
      expect(serverAccepted).toMatchObject({ level: 30, msg: "spiffe audit: peer accepted", peerId: CLIENT_ID, mode: "mtls", remoteAddress: "127.0.0.1" });
      expect(typeof serverAccepted.remotePort).toBe("number");
      expect(peers.filter((l) => l.side === "client").every((l) => l.peerId === SERVER_ID)).toBe(true);
      const suppressed = all.find((l) => l.msg === "spiffe audit: lines suppressed")!;
      expect(suppressed.level).toBe(40);
      // 5 calls: 5 client-side acceptances and 1 + 4 server verdicts = 10 events, 3 written
      expect(suppressed.suppressed).toBe(7);
      expect((suppressed.accepted as number) + (suppressed.refused as number)).toBe(7);
      // the next interval writes again: a refused peer with its reason
      lines.length = 0;
      await call(REFUSED_ID);
      await waitUntil(() => audit().some((l) => l.side === "server"), "the next interval's refusal");
      expect(audit().find((l) => l.side === "server")).toMatchObject({ level: 40, msg: "spiffe audit: peer refused", outcome: "refused", code: "ERR_AUTHZ_UNEXPECTED_ID", peerId: REFUSED_ID, remoteAddress: "127.0.0.1" });
      for (const l of lines) expect(l).not.toMatch(/PRIVATE|BEGIN/);
    } finally {
      await server.close();
    }
  });
});
