// Idle HTTP/2 connections at both ends: serveMtls closes a session idle for timeouts.idleMs,
// createMtlsClient one idle for pool.idleTimeoutMs; a connection in use stays open however long
// it is used (one idle timer per connection, re-armed when it fires while the connection was used).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ClientHttp2Session, connect as http2Connect, createSecureServer, type Http2SecureServer } from "node:http2";
import { authorizeId } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { createPki, type Pki, sourceFor, svidFor } from "./mtls-fixtures.ts";
const { attachSpiffe, createMtlsClient, createServerTlsOptions, serveMtls } = runtimeEntry;

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";
const IDLE_MS = 400;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let pki: Pki;
beforeAll(async () => {
  pki = await createPki();
});

/** One GET on a native HTTP/2 session; resolves with the status. */
function get(session: ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path });
    let status = 0;
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("error", reject);
    stream.on("end", () => resolve(status));
    stream.resume();
  });
}

describe("serveMtls closes idle HTTP/2 sessions (timeouts.idleMs)", () => {
  let server: MtlsServer;
  let credentials: { key: string; cert: string; ca: string };

  beforeAll(async () => {
    server = await serveMtls({
      source: await sourceFor(pki.inter, SERVER_ID, [pki.bundle]),
      authorizer: authorizeId(CLIENT_ID),
      port: 0,
      hostname: "127.0.0.1",
      timeouts: { idleMs: IDLE_MS },
      fetch: () => new Response("ok"),
    });
    const pem = (await svidFor(pki.inter, CLIENT_ID)).svid.toPem();
    credentials = { key: pem.privateKey, cert: pem.certificates, ca: pki.bundle.toPem() };
  });
  afterAll(async () => {
    await server?.close();
  });

  const open = (): { session: ClientHttp2Session; closed: Promise<void> } => {
    const session = http2Connect(`https://127.0.0.1:${server.port}`, { ...credentials, checkServerIdentity: () => undefined });
    session.on("error", () => {});
    return { session, closed: new Promise((resolve) => session.once("close", () => resolve())) };
  };

  test("a session used again and again for longer than idleMs stays open", async () => {
    const { session, closed } = open();
    let closedEarly = false;
    void closed.then(() => (closedEarly = true));
    for (let i = 0; i < 8; i++) {
      expect(await get(session, "/busy")).toBe(200);
      await sleep(IDLE_MS / 4);
    }
    expect(closedEarly).toBe(false);
    session.close();
  });

  test("a session with nothing in flight for idleMs is closed by the server", async () => {
    const { session, closed } = open();
    expect(await get(session, "/once")).toBe(200);
    const outcome = await Promise.race([closed.then(() => "closed by the server"), sleep(IDLE_MS * 8).then(() => "still open")]);
    expect(outcome).toBe("closed by the server");
    session.destroy();
  });
});

describe("createMtlsClient closes idle HTTP/2 sessions (pool.idleTimeoutMs)", () => {
  let native: Http2SecureServer;
  let url: string;
  let sessions = 0;

  beforeAll(async () => {
    const options = createServerTlsOptions(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeId(CLIENT_ID), { ALPNProtocols: ["h2"] });
    native = createSecureServer(options, (_req, res) => res.end("ok"));
    attachSpiffe(native, options);
    native.on("session", () => sessions++);
    await new Promise<void>((resolve) => native.listen(0, "127.0.0.1", () => resolve()));
    url = `https://127.0.0.1:${(native.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (native ? native.close(() => resolve()) : resolve()));
  });

  test("requests spaced under the idle timeout share one session for longer than the timeout; after it, a new session is opened", async () => {
    const client = createMtlsClient({ source: await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]), authorizer: authorizeId(SERVER_ID), http2: true, pool: { idleTimeoutMs: IDLE_MS } });
    try {
      const before = sessions;
      for (let i = 0; i < 8; i++) {
        expect(await (await client.get(url)).text()).toBe("ok");
        await sleep(IDLE_MS / 4);
      }
      expect(sessions - before).toBe(1);
      await sleep(IDLE_MS * 3);
      expect(await (await client.get(url)).text()).toBe("ok");
      expect(sessions - before).toBe(2);
    } finally {
      await client.close();
    }
  });
});
