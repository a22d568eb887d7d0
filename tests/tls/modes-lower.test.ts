// The three SPIFFE TLS modes through the lower-level pieces: createServerTlsConfig on a plain
// tls.Server (present + verifyClient), attachSpiffe, and connectMtls / createClientTlsConfig.
// Accepted and refused peers in both directions; what each side can read of the other.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { authorizeAny, authorizeId, type SpiffeId, X509SvidError } from "../../mod.ts";
import type { ServerTlsConfig } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import {
  CLIENT_ID,
  closeTls,
  createTlsPki,
  failureOf,
  hex,
  issueSvid,
  listenTls,
  readAll,
  REFUSED_ID,
  SERVER_ID,
  sourceOf,
  strangerBundle,
  type TlsPki,
} from "./tls-fixtures.ts";
const { attachSpiffe, connectMtls, createClientTlsConfig, createServerTlsConfig, createServerTlsOptions, getPeerIdentity } = runtimeEntry;

let pki: TlsPki;
let serverSource: FakeX509Source;
let bundlesOnly: FakeX509Source;
beforeAll(async () => {
  pki = await createTlsPki();
  serverSource = await sourceOf(pki, SERVER_ID);
  bundlesOnly = new FakeX509Source({ bundles: [pki.bundle] });
});

function notRefused(id: SpiffeId): void {
  if (id.toString() === REFUSED_ID) authorizeId(CLIENT_ID)(id, []);
}

/** What the server side of a connection saw, written back to the client as JSON before it ends. */
interface Seen {
  verified: boolean;
  peer: string | null;
  mechanism: string | null;
  clientCertificate: boolean;
  code?: string;
}

/**
 * A tls.Server built from createServerTlsConfig: presents what the config says, verifies each
 * client with verifyClient (the one post-handshake step) and answers what it saw; refused
 * clients are closed without a byte.
 */
async function configServer(config: ServerTlsConfig): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const open: TLSSocket[] = [];
  const server = createTlsServer(config.options, (socket) => {
    open.push(socket);
    socket.on("error", () => {});
    const clientCertificate = Boolean((socket.getPeerCertificate() as { raw?: unknown } | undefined)?.raw);
    config.verifyClient(socket).then(
      (identity) => {
        const s: Seen = { verified: true, peer: identity?.id.toString() ?? null, mechanism: getPeerIdentity(socket)?.mechanism ?? null, clientCertificate };
        expect(getPeerIdentity(socket)).toBe(identity); // bound to the socket: the same frozen object
        seen.push(s);
        socket.end(JSON.stringify(s));
      },
      (err: { code?: string }) => {
        seen.push({ verified: false, peer: null, mechanism: null, clientCertificate, code: err.code });
        socket.destroy();
      },
    );
  });
  const stop = config.present(server);
  const port = await listenTls(server);
  return {
    port,
    seen,
    close: async () => {
      stop();
      config.close();
      await closeTls(server, open);
    },
  };
}

/** Connects, reads what the server saw; "refused" when it closed without a word. */
async function exchange(connecting: Promise<TLSSocket>): Promise<{ socket: TLSSocket; seen: Seen | "refused" }> {
  const socket = await connecting;
  const text = await readAll(socket);
  return { socket, seen: text ? (JSON.parse(text) as Seen) : "refused" };
}

const credentialsFor = async (id: string, ca = pki.inter): Promise<{ key: string; cert: string }> => {
  const pem = (await issueSvid(pki, id, { ca })).toPem();
  return { key: pem.privateKey, cert: pem.certificates };
};

/** A raw TLS client (OpenSSL judges nothing) presenting `credentials`: what the server answered. */
async function rawClient(port: number, credentials?: { key: string; cert: string }): Promise<Seen | "refused"> {
  const { connect } = await import("node:tls");
  const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...credentials });
  const text = await readAll(socket);
  return text ? (JSON.parse(text) as Seen) : "refused";
}

describe('mode "mtls": createServerTlsConfig + connectMtls / createClientTlsConfig', () => {
  let server: Awaited<ReturnType<typeof configServer>>;
  let config: ServerTlsConfig;
  beforeAll(async () => {
    config = createServerTlsConfig({ source: serverSource, authorizer: notRefused });
    server = await configServer(config);
  });
  afterAll(() => server?.close());

  test("the options request a client certificate and leave its judgement to the SDK", () => {
    expect(config.mode).toBe("mtls");
    expect(config.authenticatesClients).toBe(true);
    expect(config.options).toMatchObject({ requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" });
    expect(Object.isFrozen(config.options)).toBe(true);
  });

  test("accepted both ways: each side reads the other's verified ID", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const { socket, seen } = await exchange(connectMtls("127.0.0.1", server.port, { source, authorizer: authorizeId(SERVER_ID) }));
    expect(seen).toEqual({ verified: true, peer: CLIENT_ID, mechanism: "x509-svid", clientCertificate: true });
    expect(getPeerIdentity(socket)?.id.toString()).toBe(SERVER_ID);
    expect(hex(getPeerIdentity(socket)!.certificates[0]!)).toBe(hex(serverSource.getX509Svid().certificates[0]!));
    const client = createClientTlsConfig({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      const second = await exchange(client.connect("127.0.0.1", server.port));
      expect(second.seen).toMatchObject({ verified: true, peer: CLIENT_ID });
      expect(getPeerIdentity(second.socket)?.id.toString()).toBe(SERVER_ID);
    } finally {
      client.close();
    }
  });

  test("the server refuses a client without certificate, with an untrusted SVID, or an unauthorized ID", async () => {
    const before = server.seen.length;
    expect(await rawClient(server.port)).toBe("refused");
    expect(await rawClient(server.port, await credentialsFor(CLIENT_ID, pki.stranger))).toBe("refused");
    expect(await rawClient(server.port, await credentialsFor(REFUSED_ID))).toBe("refused");
    expect(server.seen.slice(before).map((s) => s.code)).toEqual(["ERR_X509_SVID_EMPTY", "ERR_X509_SVID_UNTRUSTED", "ERR_AUTHZ_UNEXPECTED_ID"]);
    // through connectMtls the refused client's socket is closed by the server at once
    const refused = await exchange(connectMtls("127.0.0.1", server.port, { source: await sourceOf(pki, REFUSED_ID), authorizer: authorizeId(SERVER_ID) }));
    expect(refused.seen).toBe("refused");
  });

  test("the client refuses a server with an untrusted SVID or the wrong ID (typed errors)", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const wrongId = await failureOf(connectMtls("127.0.0.1", server.port, { source, authorizer: authorizeId("spiffe://example.org/other") }));
    expect(wrongId.error.code).toBe("ERR_AUTHZ_UNEXPECTED_ID");
    const distrusting = new FakeX509Source({ svid: source.getX509Svid(), bundles: [strangerBundle(pki)] });
    const untrusted = await failureOf(connectMtls("127.0.0.1", server.port, { source: distrusting, authorizer: authorizeAny() }));
    expect(untrusted.error).toBeInstanceOf(X509SvidError);
    expect(untrusted.error.code).toBe("ERR_X509_SVID_UNTRUSTED");
  });
});

describe('mode "mtls": attachSpiffe on tls.createServer + connectMtls', () => {
  let server: TlsServer;
  let port: number;
  const open: TLSSocket[] = [];
  beforeAll(async () => {
    const options = createServerTlsOptions(serverSource, notRefused);
    server = createTlsServer(options, (socket) => {
      open.push(socket);
      socket.on("error", () => {});
      socket.end(JSON.stringify({ verified: true, peer: getPeerIdentity(socket)?.id.toString() ?? null, mechanism: getPeerIdentity(socket)?.mechanism ?? null, clientCertificate: true }));
    });
    attachSpiffe(server, options);
    port = await listenTls(server);
  });
  afterAll(() => closeTls(server, open));

  test("accepted both ways; refused: no certificate, untrusted, unauthorized (server); wrong ID, untrusted (client)", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const ok = await exchange(connectMtls("127.0.0.1", port, { mode: "mtls", source, authorizer: authorizeId(SERVER_ID) }));
    expect(ok.seen).toMatchObject({ peer: CLIENT_ID, mechanism: "x509-svid" });
    expect(getPeerIdentity(ok.socket)?.id.toString()).toBe(SERVER_ID);
    expect(await rawClient(port)).toBe("refused");
    expect(await rawClient(port, await credentialsFor(CLIENT_ID, pki.stranger))).toBe("refused");
    expect(await rawClient(port, await credentialsFor(REFUSED_ID))).toBe("refused");
    expect((await failureOf(connectMtls("127.0.0.1", port, { source, authorizer: authorizeId(CLIENT_ID) }))).error.code).toBe("ERR_AUTHZ_UNEXPECTED_ID");
    const distrusting = new FakeX509Source({ svid: source.getX509Svid(), bundles: [strangerBundle(pki)] });
    expect((await failureOf(connectMtls("127.0.0.1", port, { source: distrusting, authorizer: authorizeAny() }))).error.code).toBe("ERR_X509_SVID_UNTRUSTED");
  });
});

describe('mode "tls": createServerTlsConfig + connectMtls / createClientTlsConfig', () => {
  let server: Awaited<ReturnType<typeof configServer>>;
  let config: ServerTlsConfig;
  beforeAll(async () => {
    config = createServerTlsConfig({ mode: "tls", source: serverSource });
    server = await configServer(config);
  });
  afterAll(() => server?.close());

  test("the options do not request a client certificate; verifyClient resolves undefined", () => {
    expect(config.mode).toBe("tls");
    expect(config.authenticatesClients).toBe(false);
    expect(config.options.requestCert).toBe(false);
    expect(config.ready).toBe(true);
  });

  test("accepted: the client verifies the server's SVID and presents nothing, even with an SVID in its source", async () => {
    for (const source of [bundlesOnly, await sourceOf(pki, CLIENT_ID)]) {
      const { socket, seen } = await exchange(connectMtls("127.0.0.1", server.port, { mode: "tls", source, authorizer: authorizeId(SERVER_ID) }));
      expect(seen).toEqual({ verified: true, peer: null, mechanism: null, clientCertificate: false });
      expect(getPeerIdentity(socket)?.id.toString()).toBe(SERVER_ID);
    }
    const client = createClientTlsConfig({ mode: "tls", source: pki.bundle, authorizer: authorizeId(SERVER_ID) });
    try {
      expect(client.currentCredentials()).toBeUndefined();
      const { seen } = await exchange(client.connect("127.0.0.1", server.port));
      expect(seen).toMatchObject({ verified: true, clientCertificate: false });
    } finally {
      client.close();
    }
  });

  test("a client certificate is not even asked for: a raw client offering one is not sent a request for it", async () => {
    expect(await rawClient(server.port, await credentialsFor(CLIENT_ID))).toEqual({ verified: true, peer: null, mechanism: null, clientCertificate: false });
    expect(await rawClient(server.port)).toEqual({ verified: true, peer: null, mechanism: null, clientCertificate: false });
  });

  test("the client refuses a server with an untrusted SVID or the wrong ID", async () => {
    expect((await failureOf(connectMtls("127.0.0.1", server.port, { mode: "tls", source: bundlesOnly, authorizer: authorizeId(CLIENT_ID) }))).error.code).toBe("ERR_AUTHZ_UNEXPECTED_ID");
    expect((await failureOf(connectMtls("127.0.0.1", server.port, { mode: "tls", source: strangerBundle(pki), authorizer: authorizeAny() }))).error.code).toBe("ERR_X509_SVID_UNTRUSTED");
  });
});

describe('mode "mtls-web": createServerTlsConfig + connectMtls / createClientTlsConfig', () => {
  let server: Awaited<ReturnType<typeof configServer>>;
  let config: ServerTlsConfig;
  beforeAll(async () => {
    config = createServerTlsConfig({ mode: "mtls-web", certificate: pki.web, source: bundlesOnly, authorizer: notRefused });
    server = await configServer(config);
  });
  afterAll(() => server?.close());

  test("the options present the Web-PKI certificate and request a client certificate", () => {
    expect(config.mode).toBe("mtls-web");
    expect(config.authenticatesClients).toBe(true);
    expect(config.options).toMatchObject({ key: pki.web.key, cert: pki.web.cert, requestCert: true, rejectUnauthorized: false });
    expect(config.ready).toBe(true);
  });

  test("accepted both ways: Web PKI (ca + host name) for the server, the SVID for the client", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const { socket, seen } = await exchange(connectMtls("localhost", server.port, { mode: "mtls-web", source, ca: pki.webCa.pem }));
    expect(seen).toEqual({ verified: true, peer: CLIENT_ID, mechanism: "x509-svid", clientCertificate: true });
    expect(getPeerIdentity(socket)).toBeUndefined(); // the server has no SPIFFE identity
    expect(socket.authorized).toBe(true);
    const client = createClientTlsConfig({ mode: "mtls-web", source, ca: [pki.otherWebCa.pem, pki.webCa.pem] });
    try {
      expect((await exchange(client.connect("localhost", server.port))).seen).toMatchObject({ peer: CLIENT_ID });
    } finally {
      client.close();
    }
  });

  test("the client refuses a certificate from another CA, for another host name, or against the public roots", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const otherHost = await failureOf(connectMtls("127.0.0.1", server.port, { mode: "mtls-web", source, ca: pki.webCa.pem }));
    expect(otherHost.error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID"); // issued for localhost, dialled as 127.0.0.1
    const otherCa = await failureOf(connectMtls("localhost", server.port, { mode: "mtls-web", source, ca: pki.otherWebCa.pem }));
    expect(otherCa.error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    const publicRoots = await failureOf(connectMtls("localhost", server.port, { mode: "mtls-web", source }));
    expect(publicRoots.error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    const otherHostCert = createServerTlsConfig({ mode: "mtls-web", certificate: pki.webOtherHost, source: bundlesOnly, authorizer: authorizeAny() });
    const elsewhere = await configServer(otherHostCert);
    try {
      expect((await failureOf(connectMtls("localhost", elsewhere.port, { mode: "mtls-web", source, ca: pki.webCa.pem }))).error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      await elsewhere.close();
    }
  });

  test("the server refuses a client without SVID, with an untrusted SVID, or an unauthorized ID", async () => {
    const before = server.seen.length;
    expect(await rawClient(server.port)).toBe("refused");
    expect(await rawClient(server.port, await credentialsFor(CLIENT_ID, pki.stranger))).toBe("refused");
    expect(await rawClient(server.port, await credentialsFor(REFUSED_ID))).toBe("refused");
    expect(server.seen.slice(before).map((s) => s.code)).toEqual(["ERR_X509_SVID_EMPTY", "ERR_X509_SVID_UNTRUSTED", "ERR_AUTHZ_UNEXPECTED_ID"]);
    const refused = await exchange(connectMtls("localhost", server.port, { mode: "mtls-web", source: await sourceOf(pki, REFUSED_ID), ca: pki.webCa.pem }));
    expect(refused.seen).toBe("refused");
  });
});
