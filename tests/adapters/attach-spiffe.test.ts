import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { authorizeAny, authorizeId, ConfigError, getSpiffeId, IntegrationError, InvalidArgumentError, type SpiffeId, X509Bundle } from "../../mod.ts";
import {
  attachSpiffe,
  connectMtls,
  createMtlsClient,
  createServerTlsOptions,
  getPeerId,
  getPeerIdentity,
} from "../../src/adapters/node/mod.ts";
import * as bunEntry from "../../src/adapters/bun/mod.ts";
import * as denoEntry from "../../src/adapters/deno/mod.ts";
import * as nodeEntry from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { withSpiffeId } from "../../src/http/with-spiffe-id.ts";
import { createCa, issueLeaf } from "../support/test-pki.ts";
import { chainPem, createPki, hex, type Pki, rawHttpRequest, sourceFor, svidFor } from "./mtls-fixtures.ts";
import { runtime } from "../support/runtime-entry.ts";
import { expectInvalidArgument } from "../support/rejection.ts";

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

let pki: Pki;
beforeAll(async () => {
  pki = await createPki();
});

/**
 * Slow on purpose: the HTTP request is written right after the handshake, so a server
 * that ran its handler before verification finished would answer it.
 */
async function slowAuthorizer(id: SpiffeId): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  if (id.path === "/refused") authorizeId(CLIENT_ID)(id, []);
}

function listen(server: TlsServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

function closeServer(server: TlsServer): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

async function clientFor(id: string, authorizer = authorizeId(SERVER_ID)) {
  const source = await sourceFor(pki.inter, id, [pki.bundle]);
  return createMtlsClient({ source, authorizer, http2: true }); // h2 also on Deno, where it is opt-in
}

async function credentialsOf(ca: Awaited<ReturnType<typeof createCa>>, id: string): Promise<{ key: string; cert: string }> {
  const leaf = await issueLeaf(ca, { uriSans: [id] });
  return { key: leaf.privateKeyPem, cert: chainPem(leaf, ca) };
}

/** An Express-style app: a middleware that answers 401 without a verified peer, then a route. */
function expressStyleApp(counter: { handled: number }) {
  type Req = IncomingMessage | Http2ServerRequest;
  type Res = ServerResponse | Http2ServerResponse;
  const requirePeer = (req: Req, res: Res, next: () => void): void => {
    if (getPeerId(req)) next();
    else {
      res.statusCode = 401;
      res.end();
    }
  };
  const route = (req: Req, res: Res): void => {
    counter.handled++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ id: getPeerId(req)?.toString(), chain: getPeerIdentity(req)?.certificates.length, httpVersion: req.httpVersion }));
  };
  return (req: Req, res: Res): void => requirePeer(req, res, () => route(req, res));
}

const kinds = {
  "https.createServer": (options: object, app: ReturnType<typeof expressStyleApp>): TlsServer => createHttpsServer(options, app as never),
  "http2.createSecureServer({ allowHTTP1 })": (options: object, app: ReturnType<typeof expressStyleApp>): TlsServer =>
    createSecureServer({ ...options, allowHTTP1: true }, app as never) as unknown as TlsServer,
};

for (const [kind, create] of Object.entries(kinds)) {
  const unsupported = isBun && kind === "https.createServer";

  describe(`attachSpiffe on ${kind}`, () => {
    let source: FakeX509Source;
    let server: TlsServer;
    let port: number;
    const counter = { handled: 0 };

    beforeAll(async () => {
      source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
      const options = createServerTlsOptions(source, slowAuthorizer);
      server = create(options, expressStyleApp(counter));
      if (!unsupported) port = await listen(attachSpiffe(server, options));
    });
    afterAll(async () => {
      if (!unsupported) await closeServer(server);
    });

    if (unsupported) {
      test("is refused on Bun with an IntegrationError naming the alternative", () => {
        let caught: unknown;
        try {
          attachSpiffe(server, { source, authorizer: authorizeAny() });
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(IntegrationError);
        expect(caught).toMatchObject({ code: "ERR_INTEGRATION_UNSUPPORTED_RUNTIME", library: "node:https" });
        expect((caught as Error).message).toContain("http2.createSecureServer");
      });
      return;
    }

    test("a valid client reaches the handler, which reads its ID with getPeerId; the server presents the source's SVID", async () => {
      const client = await clientFor(CLIENT_ID);
      const response = await client.get(`https://127.0.0.1:${port}/hello`);
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.id).toBe(CLIENT_ID);
      expect(body.chain).toBe(3); // leaf, intermediate, root
      expect(body.httpVersion).toBe(kind.startsWith("http2") ? "2.0" : "1.1"); // HTTP/2: Http2ServerRequest
      expect(getSpiffeId(response)?.toString()).toBe(SERVER_ID);
      await client.close();
    });

    test("an HTTP/1.1 client is served too (IncomingMessage)", async () => {
      expect(await rawHttpRequest(port, await credentialsOf(pki.inter, CLIENT_ID))).toBe("HTTP/1.1 200 OK");
    });

    test("refused before the handler: no certificate, unknown CA, authorizer refusal", async () => {
      const before = counter.handled;
      expect(await rawHttpRequest(port)).toBe("refused");
      expect(await rawHttpRequest(port, await credentialsOf(await createCa({ trustDomain: "example.org" }), CLIENT_ID))).toBe("refused");
      expect(await rawHttpRequest(port, await credentialsOf(pki.inter, "spiffe://example.org/refused"))).toBe("refused");
      expect(counter.handled).toBe(before);
    });

    test("the server presents a rotated SVID to new connections (setSecureContext)", async () => {
      const next = await svidFor(pki.inter, SERVER_ID);
      source.setX509Svid(next.svid);
      const client = await clientFor(CLIENT_ID);
      const response = await client.get(`https://127.0.0.1:${port}/after-rotation`);
      expect(response.status).toBe(200);
      expect((await response.json()).id).toBe(CLIENT_ID);
      expect(hex(getPeerIdentity(response)!.certificates[0]!)).toBe(hex(next.svid.certificates[0]!));
      await client.close();
    });

    test("a bundle change stops a previously trusted client on its next connection", async () => {
      const credentials = await credentialsOf(pki.inter, CLIENT_ID);
      expect(await rawHttpRequest(port, credentials)).toBe("HTTP/1.1 200 OK");
      source.setX509Bundle(X509Bundle.fromCertificates("example.org", [(await createCa({ trustDomain: "example.org" })).der]));
      try {
        expect(await rawHttpRequest(port, credentials)).toBe("refused");
      } finally {
        source.setX509Bundle(pki.bundle);
      }
    });
  });
}

/** TLS handshake only: "ok" or "failed". */
function handshake(port: number, credentials: { key: string; cert: string }, maxVersion?: "TLSv1.2"): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...credentials, ...(maxVersion ? { maxVersion } : {}) });
    socket.on("secureConnect", () => {
      resolve("ok");
      socket.destroy();
    });
    socket.on("error", () => resolve("failed"));
    socket.on("close", () => resolve("failed"));
  });
}

describe("attachSpiffe on tls.createServer, with connectMtls", () => {
  let source: FakeX509Source;
  let server: TlsServer;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    const options = { ...createServerTlsOptions(source, slowAuthorizer), minVersion: "TLSv1.3" as const, verifyTimeoutMs: 300 };
    server = createTlsServer(options, (socket: TLSSocket) => {
      socket.on("error", () => {});
      socket.end(JSON.stringify({ id: getPeerId(socket)?.toString() }));
    });
    // a listener added before attachSpiffe sees verified connections only
    server.on("secureConnection", (socket: TLSSocket) => seen.push(String(getPeerId(socket))));
    attachSpiffe(server, options);
    // one added after it would see them before verification: refused (the server is the bad argument)
    const late = (() => {
      try {
        server.on("secureConnection", () => {});
      } catch (err) {
        return err;
      }
    })();
    expect(late).toBeInstanceOf(InvalidArgumentError);
    expect(late).not.toBeInstanceOf(ConfigError);
    expect(late).toMatchObject({ code: "ERR_INVALID_ARGUMENT", argument: "server" });
    port = await listen(server);
  });
  afterAll(async () => {
    await closeServer(server);
  });

  test("connectMtls resolves with a verified socket; both sides read the other's ID", async () => {
    const clientSource = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    const socket = await connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeId(SERVER_ID) });
    expect(getPeerId(socket)?.toString()).toBe(SERVER_ID);
    expect(getPeerIdentity(socket)?.mechanism).toBe("x509-svid");
    const data = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (d: Uint8Array) => (text += new TextDecoder().decode(d)));
      socket.on("end", () => resolve(text));
    });
    socket.destroy();
    expect(JSON.parse(data).id).toBe(CLIENT_ID);
  });

  test("secureConnection listeners added after attachSpiffe see verified sockets only", async () => {
    seen.length = 0;
    expect(await rawHttpRequest(port, await credentialsOf(pki.inter, "spiffe://example.org/refused"))).toBe("refused");
    expect(await rawHttpRequest(port)).toBe("refused");
    const clientSource = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    const socket = await connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeAny() });
    await new Promise((resolve) => {
      socket.on("data", () => {});
      socket.on("close", resolve); // the server answers once it has verified us, then ends
    });
    expect(seen).toEqual([CLIENT_ID]);
  });

  test("connectMtls refuses a server with the wrong ID or an untrusted chain", async () => {
    const clientSource = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    await expect(connectMtls("127.0.0.1", port, { source: clientSource, authorizer: authorizeId("spiffe://example.org/other") })).rejects.toMatchObject({ code: "ERR_AUTHZ_UNEXPECTED_ID" });
    const strangerBundle = X509Bundle.fromCertificates("example.org", [(await createCa({ trustDomain: "example.org" })).der]);
    const untrusting = new FakeX509Source({ svid: clientSource.getX509Svid(), bundles: [strangerBundle] });
    await expect(connectMtls("127.0.0.1", port, { source: untrusting, authorizer: authorizeAny() })).rejects.toMatchObject({ code: "ERR_X509_SVID_UNTRUSTED" });
  });

  test("a verification slower than verifyTimeoutMs closes the connection", async () => {
    const hanging = createTlsServer(createServerTlsOptions(source, authorizeAny()), (s: TLSSocket) => s.end("HTTP/1.1 200 OK\r\n\r\n"));
    attachSpiffe(hanging, { source, authorizer: () => new Promise<void>(() => {}), verifyTimeoutMs: 200 });
    const hangingPort = await listen(hanging);
    const started = Date.now();
    expect(await rawHttpRequest(hangingPort, await credentialsOf(pki.inter, CLIENT_ID))).toBe("refused");
    expect(Date.now() - started).toBeLessThan(3000);
    await closeServer(hanging);
  });

  test("rotation keeps the server's other TLS options (minVersion TLSv1.3 here)", async () => {
    const credentials = await credentialsOf(pki.inter, CLIENT_ID);
    expect(await handshake(port, credentials, "TLSv1.2")).toBe("failed");
    source.setX509Svid((await svidFor(pki.inter, SERVER_ID)).svid);
    expect(await handshake(port, credentials)).toBe("ok");
    expect(await handshake(port, credentials, "TLSv1.2")).toBe("failed");
  });
});

describe("getPeerId / getPeerIdentity", () => {
  test("Web messages: the identity attached by the SDK (or withSpiffeId), else undefined", () => {
    expect(getPeerId(withSpiffeId(new Request("https://x/"), CLIENT_ID))?.toString()).toBe(CLIENT_ID);
    expect(getPeerId(new Request("https://x/"))).toBeUndefined();
    expect(getPeerIdentity(new Response("x"))).toBeUndefined();
  });

  test("HTTP/2 core API (gRPC style): getPeerId(stream) and getPeerId(stream.session)", async () => {
    const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    const options = createServerTlsOptions(source, authorizeAny());
    const h2 = createSecureServer(options) as unknown as TlsServer;
    h2.on("stream", (stream: import("node:http2").ServerHttp2Stream) => {
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(JSON.stringify({ stream: getPeerId(stream)?.toString(), session: stream.session ? getPeerId(stream.session)?.toString() : null }));
    });
    const port = await listen(attachSpiffe(h2, options));
    const client = await clientFor(CLIENT_ID);
    expect(await (await client.get(`https://127.0.0.1:${port}/grpc.Service/Method`)).json()).toEqual({ stream: CLIENT_ID, session: CLIENT_ID });
    await client.close();
    await closeServer(h2);
  });

  test("a request of a server without attachSpiffe has no identity", async () => {
    const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    let id: unknown = "unset";
    const plain = createSecureServer({ ...createServerTlsOptions(source, authorizeAny()), allowHTTP1: true }, (req, res) => {
      id = getPeerId(req);
      res.end();
    }) as unknown as TlsServer;
    const port = await listen(plain);
    expect(await rawHttpRequest(port, await credentialsOf(pki.inter, CLIENT_ID))).toBe("HTTP/1.1 200 OK");
    expect(id).toBeUndefined();
    await closeServer(plain);
  });
});

describe("configuration errors", () => {
  test("attachSpiffe refuses servers it cannot make safe (InvalidArgumentError naming the argument) and invalid options (ConfigError naming the option)", async () => {
    const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    const pem = source.getX509Svid().toPem();
    const good = { source, authorizer: authorizeAny() };
    const tlsServer = (): ReturnType<typeof createTlsServer> => createTlsServer(createServerTlsOptions(source, authorizeAny()));
    const once = tlsServer();
    attachSpiffe(once, good);
    // [call, the argument or option it must name, ConfigError (an option) or InvalidArgumentError (an argument)]
    const cases: Array<[() => unknown, string, typeof InvalidArgumentError]> = [
      [() => attachSpiffe({} as never, good), "server", InvalidArgumentError],
      [() => attachSpiffe(once, good), "server", InvalidArgumentError], // already attached
      [() => attachSpiffe(tlsServer(), null as never), "options", InvalidArgumentError],
      // Node and Deno keep requestCert/rejectUnauthorized as public properties of the server, so
      // attachSpiffe refuses a server that would never see a client certificate; Bun keeps them
      // private, and such a server fails closed at the first client instead.
      ...(runtime === "bun"
        ? []
        : ([
            [() => attachSpiffe(createTlsServer({ key: pem.privateKey, cert: pem.certificates }), good), "server", InvalidArgumentError], // no requestCert
            [() => attachSpiffe(createTlsServer({ key: pem.privateKey, cert: pem.certificates, requestCert: true }), good), "server", InvalidArgumentError], // rejectUnauthorized defaults to true
          ] as Array<[() => unknown, string, typeof InvalidArgumentError]>)),
      [() => attachSpiffe(tlsServer(), { authorizer: authorizeAny() } as never), "source", ConfigError],
      [() => attachSpiffe(tlsServer(), { source } as never), "authorizer", ConfigError],
      [() => attachSpiffe(tlsServer(), { ...good, verifyTimeoutMs: -1 }), "verifyTimeoutMs", ConfigError],
      [() => createServerTlsOptions(source, authorizeAny(), { ALPNProtocols: [] }), "ALPNProtocols", ConfigError],
      [() => createServerTlsOptions({} as never, authorizeAny()), "source", InvalidArgumentError],
      [() => createServerTlsOptions(source, "any" as never), "authorizer", InvalidArgumentError],
      [() => createServerTlsOptions(source, authorizeAny(), 7 as never), "options", InvalidArgumentError],
    ];
    for (const [fn, argument, type] of cases) {
      const err = await expectInvalidArgument(fn, argument, type);
      if (type === ConfigError) expect({ argument, option: (err as ConfigError).option }).toEqual({ argument, option: argument });
      else expect({ argument, isConfigError: err instanceof ConfigError }).toEqual({ argument, isConfigError: false });
    }
  });

  test("connectMtls rejects an invalid host, port or options with an InvalidArgumentError, an invalid option with a ConfigError", async () => {
    const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    const good = { source, authorizer: authorizeAny() };
    for (const [host, port, argument] of [["", 443, "host"], ["a b", 443, "host"], ["127.0.0.1", 0, "port"], ["127.0.0.1", 65536, "port"], ["127.0.0.1", "443", "port"]] as const) {
      const err = await expectInvalidArgument(connectMtls(host, port as number, good), argument);
      expect({ argument, isConfigError: err instanceof ConfigError }).toEqual({ argument, isConfigError: false });
    }
    expect(await expectInvalidArgument(connectMtls("127.0.0.1", 443, null as never), "options")).not.toBeInstanceOf(ConfigError);
    await expectInvalidArgument(connectMtls("127.0.0.1", 443, { source } as never), "authorizer", ConfigError);
    await expectInvalidArgument(connectMtls("127.0.0.1", 443, { ...good, ALPNProtocols: "h2" as never }), "ALPNProtocols", ConfigError);
  });
});

describe("runtime entries", () => {
  test("/bun and /deno export the same functions as /node", () => {
    const names = (m: object): string[] => Object.keys(m).sort();
    expect(names(bunEntry)).toEqual(names(nodeEntry));
    expect(names(denoEntry)).toEqual(names(nodeEntry));
    for (const name of ["attachSpiffe", "connectMtls", "createServerTlsOptions", "getPeerId", "getPeerIdentity"]) expect(names(nodeEntry)).toContain(name);
  });
});
