// The three SPIFFE TLS modes through serveMtls + createMtlsClient: who is accepted and who
// is refused, in both directions. "mtls": both present SVIDs and both verify; "tls": the
// server presents its SVID, the client verifies it and presents nothing (callers prove who
// they are with JWT-SVIDs); "mtls-web": the server presents a Web-PKI certificate checked by
// `ca` and host name, the client presents its SVID and the server verifies it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { authorizeAny, authorizeId, getPeerIdentity, JwtSvid, type JwtSvidSource, requireJwtSvid, type SpiffeId } from "../../mod.ts";
import type { MtlsClient, MtlsServer } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { rawHttpRequest } from "../adapters/mtls-fixtures.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import {
  CLIENT_ID,
  closeTls,
  createTlsPki,
  failureOf,
  hex,
  issueSvid,
  listenTls,
  readyz,
  REFUSED_ID,
  SERVER_ID,
  sourceOf,
  strangerBundle,
  type TlsPki,
} from "./tls-fixtures.ts";
const { createMtlsClient, serveMtls } = runtimeEntry;

const AUD = "spiffe://example.org/api";

let pki: TlsPki;
let jwtCa: TestCa;
let serverSource: FakeX509Source;
/** Bundles only: what a mode "tls" client or a mode "mtls-web" server needs. */
let bundlesOnly: FakeX509Source;
const servers: Record<"mtls" | "tls" | "tlsJwt" | "web" | "webOtherCa" | "webOtherHost", MtlsServer> = {} as never;
const handled: Record<string, number> = { mtls: 0, tls: 0, tlsJwt: 0, web: 0 };

/** Refuses REFUSED_ID, accepts every other ID. */
function notRefused(id: SpiffeId): void {
  if (id.toString() === REFUSED_ID) authorizeId(CLIENT_ID)(id, []);
}

function describePeer(request: Request, context: { peer: unknown }): Response {
  const identity = getPeerIdentity(request);
  return Response.json({
    contextPeer: context.peer === undefined ? "undefined" : (context.peer as { id: SpiffeId }).id.toString(),
    id: identity?.id.toString() ?? null,
    mechanism: identity?.mechanism ?? null,
    leaf: identity?.certificates[0] ? hex(identity.certificates[0]) : null,
    sameAsContext: identity === context.peer,
  });
}

const common = { port: 0, hostname: "127.0.0.1" } as const;

beforeAll(async () => {
  pki = await createTlsPki();
  jwtCa = await createTestCa({ trustDomain: "example.org" });
  serverSource = await sourceOf(pki, SERVER_ID);
  bundlesOnly = new FakeX509Source({ bundles: [pki.bundle] });
  servers.mtls = await serveMtls({ ...common, source: serverSource, authorizer: notRefused, fetch: (r, c) => (handled.mtls!++, describePeer(r, c)) });
  servers.tls = await serveMtls({ ...common, mode: "tls", source: serverSource, fetch: (r, c) => (handled.tls!++, describePeer(r, c)) });
  servers.tlsJwt = await serveMtls({
    ...common,
    mode: "tls",
    source: serverSource,
    fetch: requireJwtSvid({ source: jwtCa.jwtBundle, audience: AUD })((r, c) => (handled.tlsJwt!++, describePeer(r, c))),
  });
  servers.web = await serveMtls({ ...common, health: { port: 0, hostname: "127.0.0.1" }, mode: "mtls-web", certificate: pki.web, source: bundlesOnly, authorizer: notRefused, fetch: (r, c) => (handled.web!++, describePeer(r, c)) });
  servers.webOtherCa = await serveMtls({ ...common, mode: "mtls-web", certificate: pki.webOtherCa, source: bundlesOnly, authorizer: authorizeAny(), fetch: (r, c) => describePeer(r, c) });
  servers.webOtherHost = await serveMtls({ ...common, mode: "mtls-web", certificate: pki.webOtherHost, source: bundlesOnly, authorizer: authorizeAny(), fetch: (r, c) => describePeer(r, c) });
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s?.close()));
});

/** `https://localhost:<port>/path`: the name the Web-PKI certificates are issued for. */
const byName = (server: MtlsServer, path = "/"): URL => new URL(`https://localhost:${server.port}${path}`);

async function using<T>(client: MtlsClient, f: (c: MtlsClient) => Promise<T>): Promise<T> {
  try {
    return await f(client);
  } finally {
    await client.close();
  }
}

/** A request the server refuses: the client fails and the handler is never reached. */
async function expectRefusedByServer(key: string, client: MtlsClient, url: URL): Promise<void> {
  const before = handled[key];
  await using(client, async (c) => {
    const failure = await failureOf(c.get(url, { timeoutMs: 5000 }));
    expect(failure.error.name).not.toBe("TimeoutError");
  });
  expect(handled[key]).toBe(before);
}

const credentialsFor = async (id: string, ca = pki.inter): Promise<{ key: string; cert: string }> => {
  const svid = await issueSvid(pki, id, { ca });
  const pem = svid.toPem();
  return { key: pem.privateKey, cert: pem.certificates };
};

describe('mode "mtls" (serveMtls + createMtlsClient)', () => {
  test("accepted both ways: the handler sees the client's verified ID; the client sees the server's", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    await using(createMtlsClient({ source, authorizer: authorizeId(SERVER_ID) }), async (client) => {
      const response = await client.get(new URL("/", servers.mtls.url));
      expect(response.status).toBe(200);
      expect(getPeerIdentity(response)?.id.toString()).toBe(SERVER_ID);
      expect(getPeerIdentity(response)?.mechanism).toBe("x509-svid");
      expect(await response.json()).toEqual({ contextPeer: CLIENT_ID, id: CLIENT_ID, mechanism: "x509-svid", leaf: hex(source.getX509Svid().certificates[0]!), sameAsContext: true });
    });
  });

  test("the server refuses a client without certificate, with an untrusted SVID, or an unauthorized ID", async () => {
    expect(await rawHttpRequest(servers.mtls.port)).toBe("refused");
    expect(await rawHttpRequest(servers.mtls.port, await credentialsFor(CLIENT_ID, pki.stranger))).toBe("refused");
    expect(await rawHttpRequest(servers.mtls.port, await credentialsFor(REFUSED_ID))).toBe("refused");
    expect(await rawHttpRequest(servers.mtls.port, await credentialsFor(CLIENT_ID))).toBe("HTTP/1.1 200 OK"); // control
    const untrusted = new FakeX509Source({ svid: await issueSvid(pki, CLIENT_ID, { ca: pki.stranger }), bundles: [pki.bundle] });
    await expectRefusedByServer("mtls", createMtlsClient({ source: untrusted, authorizer: authorizeId(SERVER_ID) }), new URL("/", servers.mtls.url));
    await expectRefusedByServer("mtls", createMtlsClient({ source: await sourceOf(pki, REFUSED_ID), authorizer: authorizeId(SERVER_ID) }), new URL("/", servers.mtls.url));
  });

  test("the client refuses a server with an untrusted SVID or the wrong ID, before sending anything", async () => {
    const before = handled.mtls;
    const source = await sourceOf(pki, CLIENT_ID);
    await using(createMtlsClient({ source, authorizer: authorizeId("spiffe://example.org/someone-else") }), async (client) => {
      expect((await failureOf(client.get(new URL("/", servers.mtls.url)))).error.code).toBe("ERR_AUTHZ_UNEXPECTED_ID");
    });
    const distrusting = new FakeX509Source({ svid: source.getX509Svid(), bundles: [strangerBundle(pki)] });
    await using(createMtlsClient({ source: distrusting, authorizer: authorizeAny() }), async (client) => {
      expect((await failureOf(client.get(new URL("/", servers.mtls.url)))).error.code).toBe("ERR_X509_SVID_UNTRUSTED");
    });
    // A Web-PKI certificate is not an X.509-SVID: an mTLS client refuses an mTLS-web server.
    await using(createMtlsClient({ source, authorizer: authorizeAny() }), async (client) => {
      expect((await failureOf(client.get(byName(servers.web)))).error.code).toMatch(/^ERR_X509_SVID_/);
    });
    expect(handled.mtls).toBe(before);
  });
});

describe('mode "tls" (serveMtls + createMtlsClient)', () => {
  test("the client verifies the server's SVID and presents nothing; the handler's context has peer: undefined", async () => {
    await using(createMtlsClient({ mode: "tls", source: bundlesOnly, authorizer: authorizeId(SERVER_ID) }), async (client) => {
      const response = await client.get(new URL("/", servers.tls.url));
      expect(response.status).toBe(200);
      expect(getPeerIdentity(response)?.id.toString()).toBe(SERVER_ID);
      expect(await response.json()).toEqual({ contextPeer: "undefined", id: null, mechanism: null, leaf: null, sameAsContext: true });
    });
  });

  test("the server does not request a client certificate: one that is offered (an mTLS client) gives no peer either", async () => {
    await using(createMtlsClient({ source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) }), async (client) => {
      const response = await client.get(new URL("/", servers.tls.url));
      expect(response.status).toBe(200);
      expect((await response.json()).contextPeer).toBe("undefined");
    });
    expect(await rawHttpRequest(servers.tls.port)).toBe("HTTP/1.1 200 OK"); // no certificate: fine in mode "tls"
  });

  test("the client refuses a server with an untrusted SVID or the wrong ID", async () => {
    const before = handled.tls;
    await using(createMtlsClient({ mode: "tls", source: bundlesOnly, authorizer: authorizeId("spiffe://example.org/someone-else") }), async (client) => {
      expect((await failureOf(client.get(new URL("/", servers.tls.url)))).error.code).toBe("ERR_AUTHZ_UNEXPECTED_ID");
    });
    await using(createMtlsClient({ mode: "tls", source: strangerBundle(pki), authorizer: authorizeAny() }), async (client) => {
      expect((await failureOf(client.get(new URL("/", servers.tls.url)))).error.code).toBe("ERR_X509_SVID_UNTRUSTED");
    });
    // a Web-PKI server is not a SPIFFE server
    await using(createMtlsClient({ mode: "tls", source: bundlesOnly, authorizer: authorizeAny() }), async (client) => {
      expect((await failureOf(client.get(byName(servers.web)))).error.code).toMatch(/^ERR_X509_SVID_/);
    });
    expect(handled.tls).toBe(before);
  });

  describe("with JWT-SVIDs (requireJwtSvid on the server, jwtSvid on the client)", () => {
    const jwtSource = (audiences: unknown[] = []): JwtSvidSource => ({
      fetchJwtSvid: async (o) => {
        audiences.push(o.audience);
        return JwtSvid.parseInsecure((await jwtCa.issueJwtSvid({ id: CLIENT_ID, audience: AUD })).token);
      },
    });

    test("the handler sees the caller's JWT-SVID identity; the TLS context still has no peer", async () => {
      const audiences: unknown[] = [];
      await using(createMtlsClient({ mode: "tls", source: bundlesOnly, authorizer: authorizeId(SERVER_ID), jwtSvid: { source: jwtSource(audiences), audience: AUD } }), async (client) => {
        for (let i = 0; i < 2; i++) {
          const response = await client.get(new URL("/who", servers.tlsJwt.url));
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ contextPeer: "undefined", id: CLIENT_ID, mechanism: "jwt-svid", leaf: null, sameAsContext: false });
        }
      });
      expect(audiences).toEqual([AUD, AUD]);
    });

    test("without a JWT-SVID (or with one for another audience): 401, the handler is not reached", async () => {
      const before = handled.tlsJwt;
      await using(createMtlsClient({ mode: "tls", source: bundlesOnly, authorizer: authorizeId(SERVER_ID) }), async (client) => {
        expect((await client.get(new URL("/who", servers.tlsJwt.url))).status).toBe(401);
        const other = (await jwtCa.issueJwtSvid({ id: CLIENT_ID, audience: "spiffe://example.org/not-the-api" })).token;
        expect((await client.get(new URL("/who", servers.tlsJwt.url), { headers: { authorization: `Bearer ${other}` } })).status).toBe(401);
      });
      expect(handled.tlsJwt).toBe(before);
    });

    test("a mode \"tls\" client sends the bearer and no client certificate, even when its source holds an SVID", async () => {
      // A raw TLS server that asks for a client certificate and reports what came.
      const serverSvid = serverSource.getX509Svid().toPem();
      const seen: { certificate: boolean; alpn: string | false | null }[] = [];
      const open: TLSSocket[] = [];
      const raw = createTlsServer({ key: serverSvid.privateKey, cert: serverSvid.certificates, requestCert: true, rejectUnauthorized: false }, (socket) => {
        open.push(socket);
        socket.on("error", () => {});
        const certificate = Boolean((socket.getPeerCertificate() as { raw?: unknown } | undefined)?.raw);
        seen.push({ certificate, alpn: socket.alpnProtocol ?? null });
        let head = "";
        socket.on("data", (d: Uint8Array) => {
          head += new TextDecoder().decode(d);
          if (!head.includes("\r\n\r\n")) return;
          const authorization = /^authorization: *(.*)$/im.exec(head)?.[1]?.trim() ?? null;
          const body = JSON.stringify({ certificate, authorization });
          socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
        });
      });
      const port = await listenTls(raw);
      try {
        const withSvid = await sourceOf(pki, CLIENT_ID); // holds an SVID the client must not present
        await using(createMtlsClient({ mode: "tls", source: withSvid, authorizer: authorizeId(SERVER_ID), jwtSvid: { source: jwtSource(), audience: AUD } }), async (client) => {
          const response = await client.get(`https://127.0.0.1:${port}/who`);
          expect(response.status).toBe(200);
          const body = await response.json();
          expect(body.certificate).toBe(false);
          expect(body.authorization).toMatch(/^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
          expect((await JwtSvid.parseAndValidate(body.authorization.slice(7), jwtCa.jwtBundle, AUD)).id.toString()).toBe(CLIENT_ID);
        });
        expect(seen.length).toBeGreaterThan(0);
        expect(seen.every((s) => !s.certificate)).toBe(true);
      } finally {
        await closeTls(raw, open);
      }
    });
  });
});

describe('mode "mtls-web" (serveMtls + createMtlsClient)', () => {
  test("accepted both ways: the client checks the Web-PKI certificate (ca + host name) and presents its SVID; the handler sees the client's ID", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    await using(createMtlsClient({ mode: "mtls-web", source, ca: pki.webCa.pem }), async (client) => {
      const response = await client.get(byName(servers.web));
      expect(response.status).toBe(200);
      expect(getPeerIdentity(response)).toBeUndefined(); // a Web-PKI server has no SPIFFE identity
      expect(await response.json()).toEqual({ contextPeer: CLIENT_ID, id: CLIENT_ID, mechanism: "x509-svid", leaf: hex(source.getX509Svid().certificates[0]!), sameAsContext: true });
    });
  });

  test("the client refuses a server certificate from another CA, for another host name, or checked against the public roots", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    await using(createMtlsClient({ mode: "mtls-web", source, ca: pki.webCa.pem }), async (client) => {
      const otherCa = await failureOf(client.get(byName(servers.webOtherCa)));
      expect(otherCa.error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
      const otherHost = await failureOf(client.get(byName(servers.webOtherHost)));
      expect(otherHost.error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    });
    // an SVID server: even with the SPIFFE root as `ca`, its URI-SAN-only certificate proves no host name
    await using(createMtlsClient({ mode: "mtls-web", source, ca: pki.root.pem }), async (client) => {
      const svidServer = await failureOf(client.get(byName(servers.mtls)));
      expect(svidServer.error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    });
    await using(createMtlsClient({ mode: "mtls-web", source }), async (client) => {
      const publicRoots = await failureOf(client.get(byName(servers.web)));
      expect(publicRoots.error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    });
  });

  test("the server refuses a client without SVID, with an untrusted SVID, or an unauthorized ID", async () => {
    expect(await rawHttpRequest(servers.web.port)).toBe("refused");
    expect(await rawHttpRequest(servers.web.port, await credentialsFor(CLIENT_ID, pki.stranger))).toBe("refused");
    expect(await rawHttpRequest(servers.web.port, await credentialsFor(REFUSED_ID))).toBe("refused");
    expect(await rawHttpRequest(servers.web.port, await credentialsFor(CLIENT_ID))).toBe("HTTP/1.1 200 OK"); // control
    // through createMtlsClient: the server closes the connection, the handler never runs
    const untrusted = new FakeX509Source({ svid: await issueSvid(pki, CLIENT_ID, { ca: pki.stranger }), bundles: [] });
    await expectRefusedByServer("web", createMtlsClient({ mode: "mtls-web", source: untrusted, ca: pki.webCa.pem }), byName(servers.web));
    await expectRefusedByServer("web", createMtlsClient({ mode: "mtls-web", source: await sourceOf(pki, REFUSED_ID), ca: pki.webCa.pem }), byName(servers.web));
  });

  test("/readyz follows the certificate it presents, not an SVID (the server has none)", async () => {
    expect(() => bundlesOnly.getX509Svid()).toThrow();
    expect(await readyz(servers.web.healthUrl)).toBe(200);
  });
});
