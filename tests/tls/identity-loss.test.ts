// Identity loss and recovery (src/tls/identity-watch.ts through serveMtls, createMtlsClient,
// createServerTlsConfig and createClientTlsConfig): while the workload has no usable SVID a
// server presents no certificate (new handshakes fail with a TLS alert, /readyz 503,
// onIdentityLost once) and a client refuses to dial with a typed error; both resume on the
// next SVID without a restart, and open connections go on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { authorizeAny, authorizeId, WorkloadApiError, X509SvidError } from "../../mod.ts";
import type { MtlsServer, ServeMtlsOptions } from "../../src/adapters/node/mod.ts";
import type { X509BundleSourceLike } from "../../src/core/bundle/x509-bundle-source.ts";
import type { X509SvidSource } from "../../src/core/svid/x509/x509-svid-source.ts";
import { TestingError } from "../../src/testing/testing-error.ts";
import { createTestCa, startWorkloadApiServer, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import {
  CLIENT_ID,
  createTlsPki,
  failureOf,
  hex,
  HOUR,
  isTlsFailure,
  issueSvid,
  listenTls,
  closeTls,
  movableClock,
  probeHandshake,
  QuietSource,
  readyz,
  SERVER_ID,
  sleep,
  sourceOf,
  type TlsPki,
} from "./tls-fixtures.ts";
import { X509Source } from "../../src/adapters/node/mod.ts";
const { attachSpiffe, createMtlsClient, serveMtls, connectMtls, createServerTlsConfig, createServerTlsOptions, createClientTlsConfig, getPeerIdentity } = runtimeEntry;

let pki: TlsPki;
beforeAll(async () => {
  pki = await createTlsPki();
});

/** Records what a server reports about its identity. */
function reports() {
  const lost: Error[] = [];
  const errors: Record<string, unknown>[] = [];
  const infos: Record<string, unknown>[] = [];
  return {
    lost,
    errors,
    infos,
    onIdentityLost: (e: Error) => void lost.push(e),
    logger: { error: (_m: string, f?: Record<string, unknown>) => void errors.push(f ?? {}), info: (_m: string, f?: Record<string, unknown>) => void infos.push(f ?? {}) },
  };
}

/** An echo server answering with the caller's ID and the leaf it presented. */
async function echoServer(source: X509SvidSource & X509BundleSourceLike, extra: Partial<ServeMtlsOptions> = {}): Promise<MtlsServer> {
  return await serveMtls({
    source,
    authorizer: authorizeAny(),
    port: 0,
    hostname: "127.0.0.1",
    health: { port: 0, hostname: "127.0.0.1" },
    fetch: async (request, { peer }) => {
      if (new URL(request.url).pathname === "/slow") await sleep(300);
      return Response.json({ id: peer.id.toString(), leaf: hex(peer.certificates[0]!) });
    },
    ...extra,
  });
}

/** Waits until a raw handshake fails (or succeeds, with `ok`), within `timeoutMs`. */
async function handshakesBecome(port: number, ok: boolean, timeoutMs: number): Promise<{ ms: number; code?: string }> {
  const started = Date.now();
  let last: Awaited<ReturnType<typeof probeHandshake>> | undefined;
  await waitUntil(async () => (last = await probeHandshake(port, { timeoutMs: 2000 })).ok === ok, `handshakes ${ok ? "accepted" : "refused"}`, timeoutMs, 20);
  if (!ok) expect(last!.code).not.toBe("HANG");
  return { ms: Date.now() - started, code: last!.code };
}

describe("server: the workload loses its identity, then gets it back (serveMtls)", () => {
  test("no SVID: new handshakes fail with a TLS error within 1 s, /readyz 503, onIdentityLost once, an open connection goes on; a new SVID brings it all back", async () => {
    const source = await sourceOf(pki, SERVER_ID);
    const r = reports();
    const server = await echoServer(source, { onIdentityLost: r.onIdentityLost, logger: r.logger });
    const clientSource = await sourceOf(pki, CLIENT_ID);
    const kept = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
    try {
      expect((await kept.get(new URL("/first", server.url))).status).toBe(200);
      expect(await readyz(server.healthUrl)).toBe(200);
      expect(r.lost.length).toBe(0);

      source.setX509Svid(undefined); // like an X509Source after PermissionDenied
      const refused = await handshakesBecome(server.port, false, 1000);
      expect(refused.ms).toBeLessThan(1000);
      // A new client gets a TLS error quickly (not a hang, not a timeout).
      const fresh = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID), timeoutMs: 5000 });
      const failure = await failureOf(fresh.get(new URL("/new", server.url)));
      await fresh.close();
      expect(failure.ms).toBeLessThan(1000);
      expect(isTlsFailure(failure.error)).toBe(true);
      // connectMtls too
      const raw = await failureOf(connectMtls("127.0.0.1", server.port, { source: clientSource, authorizer: authorizeId(SERVER_ID), signal: AbortSignal.timeout(5000) }));
      expect(raw.ms).toBeLessThan(1000);
      expect(isTlsFailure(raw.error)).toBe(true);

      expect(await readyz(server.healthUrl)).toBe(503);
      expect(r.lost.length).toBe(1);
      expect(r.lost[0]).toBeInstanceOf(TestingError); // the source's own error
      expect((r.lost[0] as TestingError).code).toBe("ERR_TESTING_NO_SVID");
      expect(r.errors.length).toBe(1);
      expect(r.errors[0]!["code"]).toBe("ERR_TESTING_NO_SVID");

      // The connection opened before the loss still serves requests.
      const again = await kept.get(new URL("/kept", server.url));
      expect(again.status).toBe(200);
      expect((await again.json()).id).toBe(CLIENT_ID);

      await sleep(600); // several polls: still one report
      expect(r.lost.length).toBe(1);
      expect(r.errors.length).toBe(1);

      const next = await issueSvid(pki, SERVER_ID);
      source.setX509Svid(next);
      await handshakesBecome(server.port, true, 1000);
      const probe = await probeHandshake(server.port);
      expect(probe.serverLeaf).toBe(hex(next.certificates[0]!));
      const back = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
      const response = await back.get(new URL("/back", server.url));
      expect(response.status).toBe(200);
      expect(getPeerIdentity(response)?.certificates[0] && hex(getPeerIdentity(response)!.certificates[0]!)).toBe(hex(next.certificates[0]!));
      await back.close();
      expect(await readyz(server.healthUrl)).toBe(200);
      expect(r.lost.length).toBe(1);
      expect(r.infos.some((f) => f["serialNumber"] === next.serialNumber)).toBe(true);

      // A second loss is reported again (once per loss).
      source.setX509Svid(undefined);
      await handshakesBecome(server.port, false, 1000);
      expect(r.lost.length).toBe(2);
      source.setX509Svid(await issueSvid(pki, SERVER_ID));
      await handshakesBecome(server.port, true, 1000);
    } finally {
      await kept.close();
      await server.close();
    }
  });

  test("a source that announces nothing: the loss is still seen within 1 s (the poll), and so is the return", async () => {
    const first = await issueSvid(pki, SERVER_ID);
    const source = new QuietSource(first, [pki.bundle]);
    const r = reports();
    const server = await echoServer(source, { onIdentityLost: r.onIdentityLost, logger: r.logger });
    try {
      expect((await probeHandshake(server.port)).ok).toBe(true);
      source.svid = undefined;
      const refused = await handshakesBecome(server.port, false, 1000);
      expect(refused.ms).toBeLessThan(1000);
      expect(await readyz(server.healthUrl)).toBe(503);
      expect(r.lost.map((e) => (e as { code?: string }).code)).toEqual(["ERR_QUIET_NO_SVID"]);
      const next = await issueSvid(pki, SERVER_ID);
      source.svid = next;
      await handshakesBecome(server.port, true, 1000);
      expect((await probeHandshake(server.port)).serverLeaf).toBe(hex(next.certificates[0]!));
      expect(await readyz(server.healthUrl)).toBe(200);
      expect(r.lost.length).toBe(1);
    } finally {
      await server.close();
    }
  });

  test("an SVID that expires without rotation (server clock past expiresAt): refused within 1 s with ERR_X509_SVID_EXPIRED, /readyz 503; a rotation brings it back", async () => {
    const clock = movableClock();
    const first = await issueSvid(pki, SERVER_ID);
    const source = await sourceOf(pki, SERVER_ID);
    source.setX509Svid(first);
    const r = reports();
    const server = await echoServer(source, { onIdentityLost: r.onIdentityLost, logger: r.logger, now: clock.now });
    // The client's SVID must still be valid at the server's moved clock.
    const clientSource = await sourceOf(pki, CLIENT_ID, { notAfter: new Date(Date.now() + 48 * HOUR) });
    const kept = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
    try {
      expect((await kept.get(new URL("/", server.url))).status).toBe(200);
      clock.offsetMs = first.expiresAt.getTime() - Date.now() + 1000; // one second past expiry
      const refused = await handshakesBecome(server.port, false, 1000);
      expect(refused.ms).toBeLessThan(1000);
      expect(await readyz(server.healthUrl)).toBe(503);
      expect(r.lost.length).toBe(1);
      expect(r.lost[0]).toBeInstanceOf(X509SvidError);
      expect((r.lost[0] as X509SvidError).code).toBe("ERR_X509_SVID_EXPIRED");
      expect(r.errors.map((f) => f["code"])).toEqual(["ERR_X509_SVID_EXPIRED"]);
      expect((await kept.get(new URL("/kept", server.url))).status).toBe(200); // open connection goes on

      const next = await issueSvid(pki, SERVER_ID, { notAfter: new Date(Date.now() + 48 * HOUR) });
      source.setX509Svid(next);
      await handshakesBecome(server.port, true, 1000);
      expect((await probeHandshake(server.port)).serverLeaf).toBe(hex(next.certificates[0]!));
      expect(await readyz(server.healthUrl)).toBe(200);
      const fresh = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
      expect((await fresh.get(new URL("/", server.url))).status).toBe(200);
      await fresh.close();
      expect(r.lost.length).toBe(1);
    } finally {
      await kept.close();
      await server.close();
    }
  });

  test("a short-lived SVID expires in real time (mode \"tls\"): handshakes stop within 1 s of expiry", async () => {
    // notAfter has second precision: 3 to 4 s from now.
    const shortLived = await issueSvid(pki, SERVER_ID, { notAfter: new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000) });
    const source = await sourceOf(pki, SERVER_ID);
    source.setX509Svid(shortLived);
    const r = reports();
    const server = await serveMtls({
      mode: "tls",
      source,
      port: 0,
      hostname: "127.0.0.1",
      health: { port: 0, hostname: "127.0.0.1" },
      onIdentityLost: r.onIdentityLost,
      fetch: () => new Response("ok"),
    });
    try {
      expect((await probeHandshake(server.port)).ok).toBe(true);
      expect(await readyz(server.healthUrl)).toBe(200);
      await sleep(Math.max(0, shortLived.expiresAt.getTime() - Date.now()));
      const refused = await handshakesBecome(server.port, false, 1000);
      expect(refused.ms).toBeLessThan(1000);
      expect(await readyz(server.healthUrl)).toBe(503);
      expect((r.lost[0] as X509SvidError).code).toBe("ERR_X509_SVID_EXPIRED");
      source.setX509Svid(await issueSvid(pki, SERVER_ID));
      await handshakesBecome(server.port, true, 1000);
      expect(r.lost.length).toBe(1);
    } finally {
      await server.close();
    }
  });

  test("an SVID already expired at start: the server starts, refuses every handshake, reports the loss; a rotation makes it serve", async () => {
    const expired = await issueSvid(pki, SERVER_ID, { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
    const source = await sourceOf(pki, SERVER_ID);
    source.setX509Svid(expired);
    const r = reports();
    const server = await echoServer(source, { onIdentityLost: r.onIdentityLost, logger: r.logger });
    try {
      const probe = await probeHandshake(server.port);
      expect(probe.ok).toBe(false);
      expect(probe.code).not.toBe("HANG");
      expect(await readyz(server.healthUrl)).toBe(503);
      expect(r.lost.length).toBe(1);
      expect((r.lost[0] as X509SvidError).code).toBe("ERR_X509_SVID_EXPIRED");
      const next = await issueSvid(pki, SERVER_ID);
      source.setX509Svid(next);
      await handshakesBecome(server.port, true, 1000);
      expect((await probeHandshake(server.port)).serverLeaf).toBe(hex(next.certificates[0]!));
      expect(await readyz(server.healthUrl)).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe("server: createServerTlsConfig on a plain tls.Server", () => {
  test("present() withdraws the certificate on loss and restores it on the next SVID; ready follows; open sockets go on", async () => {
    const source = await sourceOf(pki, SERVER_ID);
    const r = reports();
    const config = createServerTlsConfig({ mode: "mtls", source, authorizer: authorizeAny(), onIdentityLost: r.onIdentityLost, logger: r.logger });
    const open: TLSSocket[] = [];
    const server = createTlsServer(config.options, (socket) => {
      open.push(socket);
      socket.on("error", () => {});
      config.verifyClient(socket).then(() => socket.on("data", (d: Uint8Array) => socket.write(d)), () => socket.destroy());
    });
    const stop = config.present(server);
    const port = await listenTls(server);
    const clientSource = await sourceOf(pki, CLIENT_ID);
    try {
      const socket = await connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeId(SERVER_ID) });
      expect(config.ready).toBe(true);
      source.setX509Svid(undefined);
      expect(config.ready).toBe(false);
      await handshakesBecome(port, false, 1000);
      expect(r.lost.length).toBe(1);
      // the socket opened before the loss still echoes
      const echoed = await new Promise<string>((resolve) => {
        socket.once("data", (d: Uint8Array) => resolve(new TextDecoder().decode(d)));
        socket.write("still here");
      });
      expect(echoed).toBe("still here");
      socket.destroy();
      const next = await issueSvid(pki, SERVER_ID);
      source.setX509Svid(next);
      expect(config.ready).toBe(true);
      const again = await connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeId(SERVER_ID) });
      expect(hex(getPeerIdentity(again)!.certificates[0]!)).toBe(hex(next.certificates[0]!));
      again.destroy();
    } finally {
      stop();
      config.close();
      await closeTls(server, open);
    }
  });
});

describe("server: attachSpiffe on a tls.Server", () => {
  test("onIdentityLost once, handshakes refused within 1 s, served again after the next SVID", async () => {
    const source = await sourceOf(pki, SERVER_ID);
    const r = reports();
    const options = createServerTlsOptions(source, authorizeAny());
    const open: TLSSocket[] = [];
    const server = createTlsServer(options, (socket) => {
      open.push(socket);
      socket.on("error", () => {});
      socket.end(String(getPeerIdentity(socket)?.id));
    });
    attachSpiffe(server, { ...options, onIdentityLost: r.onIdentityLost, logger: r.logger });
    const port = await listenTls(server);
    const clientSource = await sourceOf(pki, CLIENT_ID);
    try {
      (await connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeId(SERVER_ID) })).destroy();
      source.setX509Svid(undefined);
      await handshakesBecome(port, false, 1000);
      const failure = await failureOf(connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeId(SERVER_ID) }));
      expect(isTlsFailure(failure.error)).toBe(true);
      expect(r.lost.length).toBe(1);
      expect(r.errors.length).toBe(1);
      const next = await issueSvid(pki, SERVER_ID);
      source.setX509Svid(next);
      const socket = await connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeId(SERVER_ID) });
      expect(hex(getPeerIdentity(socket)!.certificates[0]!)).toBe(hex(next.certificates[0]!));
      socket.destroy();
      expect(r.lost.length).toBe(1);
    } finally {
      await closeTls(server, open);
    }
  });
});

describe("client: the workload loses its identity, then gets it back", () => {
  let server: MtlsServer;
  beforeAll(async () => {
    server = await echoServer(await sourceOf(pki, SERVER_ID, { notAfter: new Date(Date.now() + 48 * HOUR) }));
  });
  afterAll(async () => {
    await server?.close();
  });

  test("createMtlsClient: no SVID → requests to a new origin reject with the source's typed error, fast; the next SVID is used without a new client", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      expect((await client.get(new URL("/", server.url))).status).toBe(200);
      source.setX509Svid(undefined);
      // localhost is another origin than 127.0.0.1: a new connection is needed
      const other = new URL(`https://localhost:${server.port}/`);
      const failure = await failureOf(client.get(other));
      expect(failure.error).toBeInstanceOf(TestingError);
      expect(failure.error.code).toBe("ERR_TESTING_NO_SVID");
      expect(failure.ms).toBeLessThan(1000);
      const next = await issueSvid(pki, CLIENT_ID);
      source.setX509Svid(next);
      const response = await client.get(other);
      expect(response.status).toBe(200);
      expect((await response.json()).leaf).toBe(hex(next.certificates[0]!));
    } finally {
      await client.close();
    }
  });

  test("createMtlsClient: a request in flight when the SVID goes away finishes", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      const inFlight = client.get(new URL("/slow", server.url));
      await sleep(100);
      source.setX509Svid(undefined);
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect((await response.json()).id).toBe(CLIENT_ID);
    } finally {
      await client.close();
    }
  });

  test("an SVID already expired when the client is created: created, but every dial is refused with ERR_X509_SVID_EXPIRED until a rotation", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    source.setX509Svid(await issueSvid(pki, CLIENT_ID, { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) }));
    const config = createClientTlsConfig({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      expect(config.currentCredentials()).toBeUndefined();
      const failure = await failureOf(config.connect("127.0.0.1", server.port));
      expect(failure.error).toBeInstanceOf(X509SvidError);
      expect(failure.error.code).toBe("ERR_X509_SVID_EXPIRED");
      source.setX509Svid(await issueSvid(pki, CLIENT_ID));
      const socket = await config.connect("127.0.0.1", server.port);
      expect(getPeerIdentity(socket)?.id.toString()).toBe(SERVER_ID);
      socket.destroy();
    } finally {
      config.close();
    }
  });

  test("createClientTlsConfig/connectMtls: no SVID → connect rejects at once with the source's error; resumes on the next SVID", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const config = createClientTlsConfig({ source, authorizer: authorizeId(SERVER_ID) });
    let changes = 0;
    config.onCredentialsChange(() => changes++);
    try {
      expect(config.currentCredentials()).toBeDefined();
      source.setX509Svid(undefined);
      expect(config.currentCredentials()).toBeUndefined();
      expect(changes).toBe(1);
      const failure = await failureOf(config.connect("127.0.0.1", server.port));
      expect(failure.error).toBeInstanceOf(TestingError);
      expect(failure.ms).toBeLessThan(200);
      await expect(connectMtls("127.0.0.1", server.port, { source, authorizer: authorizeId(SERVER_ID) })).rejects.toBeInstanceOf(TestingError);
      const next = await issueSvid(pki, CLIENT_ID);
      source.setX509Svid(next);
      expect(config.currentCredentials()?.svid).toBe(next);
      expect(changes).toBe(2);
      const socket = await config.connect("127.0.0.1", server.port);
      expect(getPeerIdentity(socket)?.id.toString()).toBe(SERVER_ID);
      socket.destroy();
    } finally {
      config.close();
    }
  });

  test("an SVID that expired at the client's now(): ERR_X509_SVID_EXPIRED from the first dial after expiry; a rotation resumes", async () => {
    const clock = movableClock();
    const first = await issueSvid(pki, CLIENT_ID);
    const source = await sourceOf(pki, CLIENT_ID);
    source.setX509Svid(first);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), now: clock.now });
    const config = createClientTlsConfig({ source, authorizer: authorizeId(SERVER_ID), now: clock.now });
    try {
      expect((await client.get(new URL("/", server.url))).status).toBe(200);
      clock.offsetMs = first.expiresAt.getTime() - Date.now() + 1000;
      // no update was announced and no poll ran yet: the dial itself must see the expiry
      const dial = await failureOf(config.connect("127.0.0.1", server.port));
      expect(dial.error).toBeInstanceOf(X509SvidError);
      expect(dial.error.code).toBe("ERR_X509_SVID_EXPIRED");
      const failure = await failureOf(client.get(new URL(`https://localhost:${server.port}/`)));
      expect(failure.error).toBeInstanceOf(X509SvidError);
      expect(failure.error.code).toBe("ERR_X509_SVID_EXPIRED");
      const next = await issueSvid(pki, CLIENT_ID, { notAfter: new Date(Date.now() + 48 * HOUR) });
      source.setX509Svid(next);
      const response = await client.get(new URL(`https://localhost:${server.port}/`));
      expect(response.status).toBe(200);
      expect((await response.json()).leaf).toBe(hex(next.certificates[0]!));
    } finally {
      config.close();
      await client.close();
    }
  });

  test("a source that announces nothing: the dial after the loss is refused (no stale SVID presented)", async () => {
    const source = new QuietSource(await issueSvid(pki, CLIENT_ID), [pki.bundle]);
    const config = createClientTlsConfig({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      (await config.connect("127.0.0.1", server.port)).destroy();
      source.svid = undefined;
      const failure = await failureOf(config.connect("127.0.0.1", server.port));
      expect(failure.error.code).toBe("ERR_QUIET_NO_SVID");
      const next = await issueSvid(pki, CLIENT_ID);
      source.svid = next;
      const socket = await config.connect("127.0.0.1", server.port);
      expect(getPeerIdentity(socket)?.id.toString()).toBe(SERVER_ID);
      socket.destroy();
      expect(config.currentCredentials()?.svid).toBe(next);
    } finally {
      config.close();
    }
  });
});

describe("with a real X509Source and the development Workload API server (PermissionDenied)", () => {
  let dir: string;
  let agent: WorkloadApiServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "spiffe-tls-loss-"));
    const ca = await createTestCa({ trustDomain: "example.org" });
    agent = await startWorkloadApiServer({ socketPath: join(dir, "agent.sock"), ca, workloads: [{ id: SERVER_ID }] });
  });
  afterAll(async () => {
    await agent?.stop().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("server and client: ERR_WORKLOAD_API_NO_IDENTITY while denied, both resume when the agent grants an SVID again", async () => {
    const backoff = { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 };
    const source = await X509Source.create({ address: agent.address, backoff });
    const r = reports();
    const server = await echoServer(source, { onIdentityLost: r.onIdentityLost, logger: r.logger });
    // The client uses the same workload identity (one agent, one workload): it talks to itself.
    const config = createClientTlsConfig({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      (await config.connect("127.0.0.1", server.port)).destroy();
      agent.setWorkloads([]);
      await waitUntil(() => !source.healthy, "the source to lose its SVID", 5000);
      const dial = await failureOf(config.connect("127.0.0.1", server.port));
      expect(dial.error).toBeInstanceOf(WorkloadApiError);
      expect(dial.error.code).toBe("ERR_WORKLOAD_API_NO_IDENTITY");
      const refused = await handshakesBecome(server.port, false, 1000);
      expect(refused.ms).toBeLessThan(1000);
      expect(await readyz(server.healthUrl)).toBe(503);
      expect(r.lost.length).toBe(1);
      expect((r.lost[0] as WorkloadApiError).code).toBe("ERR_WORKLOAD_API_NO_IDENTITY");

      agent.setWorkloads([{ id: SERVER_ID }]);
      await waitUntil(() => source.healthy, "the source to get an SVID again", 5000);
      await handshakesBecome(server.port, true, 1000);
      expect(await readyz(server.healthUrl)).toBe(200);
      const socket = await config.connect("127.0.0.1", server.port);
      expect(getPeerIdentity(socket)?.id.toString()).toBe(SERVER_ID);
      socket.destroy();
      expect(r.lost.length).toBe(1);
    } finally {
      config.close();
      await server.close();
      await source.close();
    }
  });

  test("an mTLS-web server whose X509Source loses its identity: /readyz 503 while it cannot verify clients, 200 again once granted", async () => {
    const backoff = { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 };
    const source = await X509Source.create({ address: agent.address, backoff });
    const server = await serveMtls({
      mode: "mtls-web",
      certificate: pki.web,
      source,
      authorizer: authorizeAny(),
      port: 0,
      hostname: "127.0.0.1",
      health: { port: 0, hostname: "127.0.0.1" },
      fetch: () => new Response("ok"),
    });
    try {
      expect(await readyz(server.healthUrl)).toBe(200);
      agent.setWorkloads([]);
      await waitUntil(() => !source.healthy, "the source to lose its SVID", 5000);
      const body = await (await fetch(new URL("/readyz", server.healthUrl))).json();
      expect(body).toMatchObject({ status: "unavailable", code: "ERR_WORKLOAD_API_NO_IDENTITY" });
      agent.setWorkloads([{ id: SERVER_ID }]);
      await waitUntil(() => source.healthy, "the source to get an SVID again", 5000);
      expect(await readyz(server.healthUrl)).toBe(200);
    } finally {
      await server.close();
      await source.close();
    }
  });
});

test(`runtime under test: ${runtime}`, () => {
  expect(["node", "bun", "deno"]).toContain(runtime);
});
