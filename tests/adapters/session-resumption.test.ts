// A resumed TLS session must never let a peer skip verification: a client that was trusted
// once and offers its session again after the bundle changed is refused.
//
// Measured (Node 20.20/24.21, Bun 1.4.5, Deno 2.9.6, TLS 1.2 and 1.3): with SSL_OP_NO_TICKET
// no runtime resumes a session. Without it Node and Bun resume (Node then exposes only the
// peer's leaf on the server side, Bun the leaf and the intermediates); Deno never resumes.
// `setSecureContext({ key, cert })` alone drops SSL_OP_NO_TICKET, so rotations must pass it again.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { authorizeAny, type SpiffeId, X509Bundle } from "../../mod.ts";
import { attachSpiffe, createServerTlsOptions, getPeerId, type MtlsServer } from "../../src/adapters/node/mod.ts";
import type { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createCa } from "../support/test-pki.ts";
import { createPki, type Pki, sourceFor, svidFor } from "./mtls-fixtures.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
const { serveMtls } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";
const isDeno = "Deno" in globalThis;

interface Attempt {
  /** The status line, or "refused" when the server closed without answering. */
  status: string;
  /** Whether the TLS layer resumed the offered session. */
  reused: boolean;
  /** The session to offer next time (the last one the server sent). */
  session: Uint8Array | undefined;
}

/** One HTTP/1.1 request over raw TLS, optionally offering a previous session. */
function attempt(port: number, credentials: { key: string; cert: string }, session?: Uint8Array): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"], ...credentials, ...(session ? { session: session as never } : {}) });
    let data = "";
    let reused = false;
    let next: Uint8Array | undefined;
    socket.on("session", (s: Uint8Array) => (next = s));
    socket.on("secureConnect", () => {
      reused = socket.isSessionReused();
      socket.write("GET /resume HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    });
    socket.on("data", (d: Uint8Array) => (data += new TextDecoder().decode(d)));
    socket.on("error", () => {});
    socket.on("close", () => resolve({ status: data ? data.split("\r\n")[0]! : "refused", reused, session: next }));
    setTimeout(() => socket.destroy(), 5000);
  });
}

let pki: Pki;
beforeAll(async () => {
  pki = await createPki();
});

describe("serveMtls and session resumption", () => {
  let source: FakeX509Source;
  let server: MtlsServer;
  let checks = 0;

  beforeAll(async () => {
    source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    server = await serveMtls({
      source,
      authorizer: () => void checks++,
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response("ok"),
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("no session is resumed, before or after a rotation of the server's SVID; each connection is verified", async () => {
    const pem = (await svidFor(pki.inter, CLIENT_ID)).svid.toPem();
    const credentials = { key: pem.privateKey, cert: pem.certificates };
    for (const round of ["initial", "rotated"]) {
      if (round === "rotated") source.setX509Svid((await svidFor(pki.inter, SERVER_ID)).svid);
      const first = await attempt(server.port, credentials);
      expect(first.status).toBe("HTTP/1.1 200 OK");
      const before = checks;
      const again = await attempt(server.port, credentials, first.session);
      expect(again.status).toBe("HTTP/1.1 200 OK");
      expect(again.reused).toBe(false);
      expect(checks).toBe(before + 1);
    }
  });

  test("after a bundle change, a client offering its previous session is refused", async () => {
    const pem = (await svidFor(pki.inter, CLIENT_ID)).svid.toPem();
    const credentials = { key: pem.privateKey, cert: pem.certificates };
    const first = await attempt(server.port, credentials);
    expect(first.status).toBe("HTTP/1.1 200 OK");
    source.setX509Bundle(X509Bundle.fromCertificates("example.org", [(await createCa({ trustDomain: "example.org" })).der]));
    try {
      expect((await attempt(server.port, credentials, first.session)).status).toBe("refused");
    } finally {
      source.setX509Bundle(pki.bundle);
    }
  });
});

describe("attachSpiffe on a server that does resume sessions", () => {
  let source: FakeX509Source;
  let server: TlsServer;
  let port: number;
  const checked: string[] = [];
  const sockets = new Set<{ destroy(): void }>();

  beforeAll(async () => {
    source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    const options = createServerTlsOptions(source, authorizeAny());
    server = createTlsServer(options, (socket) => {
      socket.on("error", () => {});
      socket.end(`HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-peer: ${getPeerId(socket)}\r\n\r\n`);
    });
    server.on("connection", (socket) => sockets.add(socket));
    attachSpiffe(server, { ...options, authorizer: (id: SpiffeId) => void checked.push(id.toString()) });
    port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy(); // server-ended TLS sockets may linger half-closed
    await new Promise((resolve) => server.close(resolve));
  });

  test("attachSpiffe switches session tickets off, also after a rotation", async () => {
    const pem = (await svidFor(pki.inter, CLIENT_ID)).svid.toPem();
    const credentials = { key: pem.privateKey, cert: pem.certificates };
    for (const round of ["initial", "rotated"]) {
      if (round === "rotated") source.setX509Svid((await svidFor(pki.inter, SERVER_ID)).svid);
      const first = await attempt(port, credentials);
      expect(first.status).toBe("HTTP/1.1 200 OK");
      const again = await attempt(port, credentials, first.session);
      expect(again.status).toBe("HTTP/1.1 200 OK");
      expect(again.reused).toBe(false);
    }
  });

  test("when the context allows tickets anyway, a resumed connection is still verified, and refused after a bundle change", async () => {
    // e.g. application code that calls setSecureContext itself without SSL_OP_NO_TICKET
    const current = source.getX509Svid().toPem();
    server.setSecureContext({ key: current.privateKey, cert: current.certificates });
    // a root-signed client: a resumed session on Node carries only the leaf, which is then a complete chain
    const pem = (await svidFor(pki.root, CLIENT_ID)).svid.toPem();
    const credentials = { key: pem.privateKey, cert: pem.certificates };
    const first = await attempt(port, credentials);
    expect(first.status).toBe("HTTP/1.1 200 OK");
    checked.length = 0;
    const resumed = await attempt(port, credentials, first.session);
    expect(resumed.status).toBe("HTTP/1.1 200 OK");
    expect(resumed.reused).toBe(!isDeno); // Node and Bun resume; Deno never does
    expect(checked).toEqual([CLIENT_ID]); // the resumed connection went through the verifier
    source.setX509Bundle(X509Bundle.fromCertificates("example.org", [(await createCa({ trustDomain: "example.org" })).der]));
    try {
      expect((await attempt(port, credentials, resumed.session ?? first.session)).status).toBe("refused");
    } finally {
      source.setX509Bundle(pki.bundle);
    }
  });
});
