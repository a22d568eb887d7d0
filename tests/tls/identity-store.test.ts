// The one identity store (src/http/peer-identity.ts): identities are bound by the SDK's TLS
// step, its servers and clients, requireJwtSvid and the testing entry's withSpiffeId, and
// nothing else. Application code can read them but cannot forge, overwrite or alter one: not
// through the old global registry or socket symbol, not by copying a message, not by
// mutating what it was handed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Server as TlsServer, type TLSSocket } from "node:tls";
import {
  authorizeAny,
  authorizeId,
  getPeerIdentity as getPeerIdentityOfMessage,
  getSpiffeId,
  JwtSvid,
  requireJwtSvid,
  requireTrustDomain,
  type PeerIdentity,
  SpiffeId,
  TrustDomain,
} from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { createTestCa, type TestCa, withSpiffeId } from "../../src/testing/mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { CLIENT_ID, closeTls, createTlsPki, listenTls, SERVER_ID, sourceOf, type TlsPki } from "./tls-fixtures.ts";
const { attachSpiffe, connectMtls, createMtlsClient, createServerTlsOptions, getPeerId, getPeerIdentity, serveMtls } = runtimeEntry;

const OLD_REGISTRY = Symbol.for("@spiffe-ts/sdk/peer-identities");
const OLD_SOCKET_SYMBOL = Symbol.for("@spiffe-ts/sdk/peer-of-socket");
const AUD = "spiffe://example.org/api";
const FORGED_ID = "spiffe://example.org/admin";

let pki: TlsPki;
let jwtCa: TestCa;
beforeAll(async () => {
  pki = await createTlsPki();
  jwtCa = await createTestCa({ trustDomain: "example.org" });
});

function forged(): PeerIdentity {
  return Object.freeze({ id: SpiffeId.parse(FORGED_ID), mechanism: "x509-svid", certificates: Object.freeze([]) }) as PeerIdentity;
}

/** Runs `f` and reports whether it threw a TypeError (what writing to a frozen object does in a module). */
function refusedWrite(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (err) {
    return err instanceof TypeError;
  }
}

describe("serveMtls: a handler cannot forge, overwrite or alter the caller's identity", () => {
  let server: MtlsServer;
  const attempts: Record<string, unknown>[] = [];
  beforeAll(async () => {
    server = await serveMtls({
      port: 0,
      hostname: "127.0.0.1",
      source: await sourceOf(pki, SERVER_ID),
      authorizer: authorizeAny(),
      fetch: async (request, { peer }) => {
        const path = new URL(request.url).pathname;
        const g = globalThis as Record<symbol, unknown>;
        const result: Record<string, unknown> = { before: getPeerIdentityOfMessage(request)?.id.toString() };
        if (path === "/forge") {
          // the registry of older versions: a Symbol.for global WeakMap any code could write to
          const previous = g[OLD_REGISTRY];
          g[OLD_REGISTRY] = new WeakMap([[request, forged()]]);
          // the symbol older versions put on sockets, on the request and on a copy
          (request as unknown as Record<symbol, unknown>)[OLD_SOCKET_SYMBOL] = forged();
          const copy = new Request(request);
          (copy as unknown as Record<symbol, unknown>)[OLD_SOCKET_SYMBOL] = forged();
          result.afterRegistry = getPeerIdentityOfMessage(request)?.id.toString();
          result.entryAfter = getPeerId(request)?.toString();
          result.copy = getPeerIdentityOfMessage(copy)?.id.toString() ?? null;
          result.entryCopy = getPeerId(copy)?.toString() ?? null;
          result.clone = getPeerIdentityOfMessage(request.clone())?.id.toString() ?? null;
          result.derived = getPeerIdentityOfMessage(new Request("https://elsewhere.test/", request))?.id.toString() ?? null;
          if (previous === undefined) delete g[OLD_REGISTRY];
          else g[OLD_REGISTRY] = previous;
        }
        if (path === "/overwrite") {
          const identity = getPeerIdentityOfMessage(request)!;
          result.same = identity === peer;
          result.frozen = Object.isFrozen(identity) && Object.isFrozen(identity.certificates);
          result.idFrozen = Object.isFrozen(identity.id) && Object.isFrozen(identity.id.trustDomain);
          result.refused = {
            id: refusedWrite(() => ((identity as { id: unknown }).id = SpiffeId.parse(FORGED_ID))),
            mechanism: refusedWrite(() => ((identity as { mechanism: unknown }).mechanism = "test")),
            certificates: refusedWrite(() => (identity.certificates as Uint8Array[]).push(new Uint8Array(1))),
            define: refusedWrite(() => Object.defineProperty(identity, "id", { value: SpiffeId.parse(FORGED_ID) })),
            idPath: refusedWrite(() => ((identity.id as { path: string }).path = "/admin")),
            idTrustDomain: refusedWrite(() => ((identity.id as { trustDomain: unknown }).trustDomain = TrustDomain.parse("evil.test"))),
            trustDomainName: refusedWrite(() => ((identity.id.trustDomain as { name: string }).name = "evil.test")),
          };
          result.after = { id: identity.id.toString(), path: identity.id.path, td: identity.id.trustDomain.name, memberOfEvil: identity.id.memberOf("evil.test") };
        }
        if (path === "/read") {
          result.path = peer.id.path;
          result.td = peer.id.trustDomain.name;
          result.hasPrefix = peer.id.hasPathPrefix("/admin");
        }
        attempts.push(result);
        return Response.json(result);
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("the old global registry and socket symbol have no effect; copies of the request carry no identity", async () => {
    const client = createMtlsClient({ source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) });
    try {
      const body = await (await client.get(new URL("/forge", server.url))).json();
      expect(body).toEqual({ before: CLIENT_ID, afterRegistry: CLIENT_ID, entryAfter: CLIENT_ID, copy: null, entryCopy: null, clone: null, derived: null });
    } finally {
      await client.close();
    }
  });

  test("the identity is frozen all the way down (its SpiffeId and TrustDomain too): writes throw, and later requests and connections see the verified ID", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      const body = await (await client.get(new URL("/overwrite", server.url))).json();
      expect(body.same).toBe(true);
      expect(body.frozen).toBe(true);
      expect(body.idFrozen).toBe(true);
      expect(body.refused).toEqual({ id: true, mechanism: true, certificates: true, define: true, idPath: true, idTrustDomain: true, trustDomainName: true });
      expect(body.after).toEqual({ id: CLIENT_ID, path: "/client", td: "example.org", memberOfEvil: false });
      // the same connection (its identity is shared by its requests) ...
      expect(await (await client.get(new URL("/read", server.url))).json()).toMatchObject({ before: CLIENT_ID, path: "/client", td: "example.org", hasPrefix: false });
    } finally {
      await client.close();
    }
    // ... and a new connection with the same chain (served from the process-wide verification cache)
    const again = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      expect(await (await again.get(new URL("/read", server.url))).json()).toMatchObject({ before: CLIENT_ID, path: "/client", td: "example.org", hasPrefix: false });
    } finally {
      await again.close();
    }
  });

  test("the client's identity of the server (on the Response) is frozen too, and a copied Response carries none", async () => {
    const client = createMtlsClient({ source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) });
    try {
      const response = await client.get(new URL("/read", server.url));
      const identity = getPeerIdentityOfMessage(response)!;
      expect(identity.id.toString()).toBe(SERVER_ID);
      expect(Object.isFrozen(identity) && Object.isFrozen(identity.certificates) && Object.isFrozen(identity.id)).toBe(true);
      expect(getPeerIdentityOfMessage(new Response(response.body, response))).toBeUndefined();
      expect(getPeerIdentityOfMessage(response.clone())).toBeUndefined();
      expect(getPeerIdentityOfMessage(response)).toBe(identity);
    } finally {
      await client.close();
    }
  });
});

describe("node:* servers and sockets: symbols on the socket are not identities", () => {
  let server: TlsServer;
  let port: number;
  const seen: Record<string, unknown>[] = [];
  const open: TLSSocket[] = [];
  beforeAll(async () => {
    const options = createServerTlsOptions(await sourceOf(pki, SERVER_ID), authorizeAny(), { ALPNProtocols: ["h2", "http/1.1"] });
    server = createSecureServer({ ...options, allowHTTP1: true }, (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      const before = getPeerId(req)?.toString();
      const socket = req.socket as unknown as Record<symbol, unknown>;
      socket[OLD_SOCKET_SYMBOL] = forged();
      (req as unknown as Record<symbol, unknown>)[OLD_SOCKET_SYMBOL] = forged();
      seen.push({ before, after: getPeerId(req)?.toString(), frozen: Object.isFrozen(getPeerIdentity(req)) });
      res.end("ok");
    }) as unknown as TlsServer;
    server.on("secureConnection", (s: TLSSocket) => open.push(s));
    attachSpiffe(server, options);
    port = await listenTls(server);
  });
  afterAll(() => closeTls(server, open));

  test("attachSpiffe: getPeerId(req) stays the verified ID after a handler writes the old symbol", async () => {
    const client = createMtlsClient({ source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID), http2: true });
    try {
      expect((await client.get(`https://127.0.0.1:${port}/`)).status).toBe(200);
      expect((await client.get(`https://127.0.0.1:${port}/`)).status).toBe(200);
    } finally {
      await client.close();
    }
    expect(seen).toEqual([
      { before: CLIENT_ID, after: CLIENT_ID, frozen: true },
      { before: CLIENT_ID, after: CLIENT_ID, frozen: true },
    ]);
  });

  test("connectMtls: writing the old symbol on a socket (verified or not) changes nothing", async () => {
    const socket = await connectMtls("127.0.0.1", port, { source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) });
    try {
      (socket as unknown as Record<symbol, unknown>)[OLD_SOCKET_SYMBOL] = forged();
      expect(getPeerId(socket)?.toString()).toBe(SERVER_ID);
      expect(Object.isFrozen(getPeerIdentity(socket))).toBe(true);
    } finally {
      socket.destroy();
    }
    const { connect } = await import("node:tls");
    const plain = connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    plain.on("error", () => {});
    await new Promise((r) => plain.once("secureConnect", r));
    (plain as unknown as Record<symbol, unknown>)[OLD_SOCKET_SYMBOL] = forged();
    expect(getPeerIdentity(plain)).toBeUndefined();
    plain.destroy();
  });
});

describe("the deliberate writers", () => {
  test("withSpiffeId (testing entry) binds a frozen identity with mechanism \"test\", read by both getPeerIdentity functions", () => {
    const request = withSpiffeId(new Request("https://x.test/api"), CLIENT_ID);
    const identity = getPeerIdentityOfMessage(request)!;
    expect(identity.id.toString()).toBe(CLIENT_ID);
    expect(identity.mechanism).toBe("test");
    expect(identity.certificates).toEqual([]);
    expect(Object.isFrozen(identity) && Object.isFrozen(identity.certificates) && Object.isFrozen(identity.id)).toBe(true);
    expect(getSpiffeId(request)?.toString()).toBe(CLIENT_ID);
    expect(getPeerIdentity(request)).toBe(identity);
    expect(getPeerIdentityOfMessage(new Request(request))).toBeUndefined();
    expect(getPeerIdentityOfMessage(new Request("https://x.test/api"))).toBeUndefined();
  });

  test("requireJwtSvid binds a frozen jwt-svid identity to that request only; the next request on the connection starts with none", async () => {
    const seen: unknown[] = [];
    const server = await serveMtls({
      mode: "tls",
      port: 0,
      hostname: "127.0.0.1",
      source: await sourceOf(pki, SERVER_ID),
      fetch: async (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/open") {
          seen.push({ path, identity: getPeerIdentityOfMessage(request) ?? null });
          return new Response("open");
        }
        return requireJwtSvid({ source: jwtCa.jwtBundle, audience: AUD })(
          composeTd((r) => {
            const identity = getPeerIdentityOfMessage(r)!;
            seen.push({ path, id: identity.id.toString(), mechanism: identity.mechanism, frozen: Object.isFrozen(identity) && Object.isFrozen(identity.id) });
            return new Response("jwt");
          }),
        )(request, undefined);
      },
    });
    const client = createMtlsClient({ mode: "tls", source: pki.bundle, authorizer: authorizeId(SERVER_ID) });
    try {
      const { token } = await jwtCa.issueJwtSvid({ id: CLIENT_ID, audience: AUD });
      expect((await client.get(new URL("/jwt", server.url), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await client.get(new URL("/open", server.url))).status).toBe(200);
      expect(JwtSvid.parseInsecure(token).id.toString()).toBe(CLIENT_ID);
    } finally {
      await client.close();
      await server.close();
    }
    expect(seen).toEqual([
      { path: "/jwt", id: CLIENT_ID, mechanism: "jwt-svid", frozen: true },
      { path: "/open", identity: null },
    ]);
  });

  test("requireJwtSvid over mTLS keeps the connection's identity as `transport`: the token's subject and the calling workload are both there", async () => {
    const seen: unknown[] = [];
    const server = await serveMtls({
      port: 0,
      hostname: "127.0.0.1",
      source: await sourceOf(pki, SERVER_ID),
      authorizer: authorizeAny(),
      fetch: requireJwtSvid({ source: jwtCa.jwtBundle, audience: AUD })((request, context) => {
        const identity = getPeerIdentityOfMessage(request)!;
        seen.push({
          id: identity.id.toString(),
          mechanism: identity.mechanism,
          transport: identity.transport && { id: identity.transport.id.toString(), mechanism: identity.transport.mechanism, chain: identity.transport.certificates.length },
          frozen: Object.isFrozen(identity) && Object.isFrozen(identity.transport),
          contextPeer: (context as { peer: { id: unknown } }).peer.id?.toString(),
        });
        return new Response("ok");
      }),
    });
    const client = createMtlsClient({ source: await sourceOf(pki, CLIENT_ID), authorizer: authorizeId(SERVER_ID) });
    try {
      const { token } = await jwtCa.issueJwtSvid({ id: "spiffe://example.org/end-user-agent", audience: AUD });
      expect((await client.get(new URL("/api", server.url), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await client.close();
      await server.close();
    }
    expect(seen).toEqual([
      { id: "spiffe://example.org/end-user-agent", mechanism: "jwt-svid", transport: { id: CLIENT_ID, mechanism: "x509-svid", chain: expect.any(Number) }, frozen: true, contextPeer: CLIENT_ID },
    ]);
    expect((seen[0] as { transport: { chain: number } }).transport.chain).toBeGreaterThan(0);
  });
});

/** requireTrustDomain("example.org") in front of `next`. */
function composeTd(next: (r: Request) => Response): (r: Request, c: unknown) => Response | Promise<Response> {
  return requireTrustDomain("example.org")((r: Request) => next(r));
}
