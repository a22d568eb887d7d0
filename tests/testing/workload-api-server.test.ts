import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpiffeWorkloadAPI } from "../../gen/workload_pb.ts";
import { X509Bundle } from "../../src/core/bundle/x509-bundle.ts";
import { verifyX509Svid } from "../../src/core/svid/x509/verify-x509-svid.ts";
import { X509Svid } from "../../src/core/svid/x509/x509-svid.ts";
import { rawX509SvidResponse } from "../../src/testing/raw-responses.ts";
import { createTestCa, type TestCa } from "../../src/testing/test-ca.ts";
import { startWorkloadApiServer, type WorkloadApiServer, type WorkloadApiServerOptions } from "../../src/testing/workload-api-server.ts";
import { ConfigError } from "../../src/core/errors/config-error.ts";
import { expectCode, expectInvalidArgument } from "../support/rejection.ts";

type WorkloadClient = Client<typeof SpiffeWorkloadAPI>;

const withHeader: Interceptor = (next) => (req) => {
  req.header.set("workload.spiffe.io", "true");
  return next(req);
};

const dir = mkdtempSync(join(tmpdir(), "spiffe-ts-dev-server-"));
let socketCounter = 0;
const managers: Http2SessionManager[] = [];
let ca: TestCa;
let partner: TestCa;

function socketPath(): string {
  return join(dir, `agent-${++socketCounter}.sock`);
}

function connect(server: WorkloadApiServer, options: { header?: boolean; extra?: Record<string, string> } = {}): WorkloadClient {
  const createConnection = server.socketPath !== undefined ? (): net.Socket => net.connect(server.socketPath!) : (): net.Socket => net.connect(server.port!, "127.0.0.1");
  const baseUrl = server.socketPath !== undefined ? "http://localhost" : `http://127.0.0.1:${server.port}`;
  const sessionManager = new Http2SessionManager(baseUrl, {}, { createConnection });
  managers.push(sessionManager);
  const interceptors: Interceptor[] = [];
  if (options.header !== false) interceptors.push(withHeader);
  const extra = options.extra;
  if (extra) {
    interceptors.push((next) => (req) => {
      for (const [k, v] of Object.entries(extra)) req.header.set(k, v);
      return next(req);
    });
  }
  return createClient(SpiffeWorkloadAPI, createGrpcTransport({ baseUrl, sessionManager, interceptors }));
}

async function start(options: Partial<WorkloadApiServerOptions> = {}): Promise<WorkloadApiServer> {
  return startWorkloadApiServer({ socketPath: socketPath(), ca, workloads: [{ id: "spiffe://example.org/web", hint: "internal" }], ...options });
}

/** Pulls one message from a stream iterator, failing after `ms`. */
async function next<T>(it: AsyncIterator<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no stream message within ${ms} ms`)), ms);
  });
  try {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done) throw new Error("stream ended");
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

async function connectError(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    expect(err instanceof ConnectError).toBe(true);
    return err as ConnectError;
  }
  throw new Error("expected a ConnectError");
}

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

beforeAll(async () => {
  ca = await createTestCa({ trustDomain: "example.org" });
  partner = await createTestCa({ trustDomain: "partner.test" });
});

afterAll(() => {
  for (const m of managers) m.abort();
  rmSync(dir, { recursive: true, force: true });
});

describe("startWorkloadApiServer", () => {
  test("serves X.509-SVIDs with bundle, hint and federated bundles over a Unix socket", async () => {
    await using server = await start({ federatedBundles: [partner] });
    expect(server.address).toBe(`unix://${server.socketPath}`);
    expect(server.url).toBe(server.address);
    expect(server.address.startsWith("unix:///")).toBe(true);
    const client = connect(server);
    const ac = new AbortController();
    const it = client.fetchX509SVID({}, { signal: ac.signal })[Symbol.asyncIterator]();
    const first = await next(it);
    expect(first.svids.length).toBe(1);
    const s = first.svids[0]!;
    expect(s.spiffeId).toBe("spiffe://example.org/web");
    expect(s.hint).toBe("internal");
    expect(hex(s.bundle)).toBe(hex(concat(ca.x509Authorities)));
    expect(Object.keys(first.federatedBundles)).toEqual(["spiffe://partner.test"]);
    expect(hex(first.federatedBundles["spiffe://partner.test"]!)).toBe(hex(concat(partner.x509Authorities)));
    const svid = await X509Svid.parse(s.x509Svid, s.x509SvidKey, { hint: s.hint });
    expect(svid.id.toString()).toBe("spiffe://example.org/web");
    const verified = await verifyX509Svid(s.x509Svid, X509Bundle.parse("example.org", s.bundle));
    expect(verified.id.toString()).toBe("spiffe://example.org/web");
    ac.abort();
    await waitFor(() => server.calls[0]?.status !== undefined);
    const call = server.calls[0]!;
    expect(call.method).toBe("FetchX509SVID");
    expect(call.headers["workload.spiffe.io"]).toBe("true");
    expect(call.request).toEqual({});
    expect(call.status?.code).toBe("Canceled");
  });

  test("serves the X.509-SVIDs of an Ed25519 test CA (keyAlg: \"Ed25519\"), and rotates them", async () => {
    const edCa = await createTestCa({ trustDomain: "example.org", keyAlg: "Ed25519", intermediate: true });
    await using server = await start({ ca: edCa });
    const client = connect(server);
    const ac = new AbortController();
    const it = client.fetchX509SVID({}, { signal: ac.signal })[Symbol.asyncIterator]();
    const first = (await next(it)).svids[0]!;
    expect(hex(first.bundle)).toBe(hex(concat(edCa.x509Authorities)));
    expect(hex(first.x509SvidKey.subarray(0, 16))).toBe("302e020100300506032b657004220420"); // PKCS#8 Ed25519
    const svid = await X509Svid.parse(first.x509Svid, first.x509SvidKey, { hint: first.hint });
    expect(svid.id.toString()).toBe("spiffe://example.org/web");
    expect(svid.certificates.length).toBe(2);
    await server.rotate();
    const second = (await next(it)).svids[0]!;
    const rotated = await X509Svid.parse(second.x509Svid, second.x509SvidKey);
    expect(rotated.serialNumber).not.toBe(svid.serialNumber);
    ac.abort();
    const verified = await verifyX509Svid(second.x509Svid, X509Bundle.parse("example.org", second.bundle));
    expect(verified.id.toString()).toBe("spiffe://example.org/web");
    expect(verified.verifiedChain.length).toBe(3);
  });

  test("requires the security header on every RPC", async () => {
    await using server = await start();
    const client = connect(server, { header: false });
    const errors = [
      await connectError(client.fetchX509SVID({})[Symbol.asyncIterator]().next()),
      await connectError(client.fetchX509Bundles({})[Symbol.asyncIterator]().next()),
      await connectError(client.fetchJWTBundles({})[Symbol.asyncIterator]().next()),
      await connectError(client.fetchJWTSVID({ audience: ["api"] })),
      await connectError(client.validateJWTSVID({ audience: "api", svid: "x.y.z" })),
    ];
    for (const err of errors) {
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe("security header missing from request");
    }
    expect(server.calls.map((c) => c.method)).toEqual(["FetchX509SVID", "FetchX509Bundles", "FetchJWTBundles", "FetchJWTSVID", "ValidateJWTSVID"]);
    for (const c of server.calls) {
      expect(c.headers["workload.spiffe.io"]).toBe(undefined);
      expect(c.status).toEqual({ code: "InvalidArgument", message: "security header missing from request" });
    }
    const wrongValue = connect(server, { header: false, extra: { "workload.spiffe.io": "yes" } });
    expect((await connectError(wrongValue.fetchJWTSVID({ audience: ["api"] }))).code).toBe(Code.InvalidArgument);
  });

  test("rotate() pushes a new SVID; CA rotation pushes the new bundle", async () => {
    const localCa = await createTestCa({ trustDomain: "example.org" });
    await using server = await start({ ca: localCa });
    const client = connect(server);
    const ac = new AbortController();
    const svids = client.fetchX509SVID({}, { signal: ac.signal })[Symbol.asyncIterator]();
    const bundles = client.fetchX509Bundles({}, { signal: ac.signal })[Symbol.asyncIterator]();
    const first = await next(svids);
    const b1 = await next(bundles);
    expect(Object.keys(b1.bundles)).toEqual(["spiffe://example.org"]);
    await server.rotate();
    const second = await next(svids);
    const s1 = await X509Svid.parse(first.svids[0]!.x509Svid, first.svids[0]!.x509SvidKey);
    const s2 = await X509Svid.parse(second.svids[0]!.x509Svid, second.svids[0]!.x509SvidKey);
    expect(s2.serialNumber).not.toBe(s1.serialNumber);
    await localCa.rotateX509Authority();
    const b2 = await next(bundles);
    expect(hex(b2.bundles["spiffe://example.org"]!)).toBe(hex(concat(localCa.x509Authorities)));
    expect(localCa.x509Authorities.length).toBe(2);
    const third = await next(svids); // the CA change also reaches the SVID stream (new bundle)
    expect(hex(third.svids[0]!.bundle)).toBe(hex(concat(localCa.x509Authorities)));
    ac.abort();
  });

  test("rotateEveryMs reissues periodically", async () => {
    await using server = await start({ rotateEveryMs: 50 });
    const client = connect(server);
    const ac = new AbortController();
    const it = client.fetchX509SVID({}, { signal: ac.signal })[Symbol.asyncIterator]();
    const serials = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await next(it);
      serials.add((await X509Svid.parse(r.svids[0]!.x509Svid, r.svids[0]!.x509SvidKey)).serialNumber);
    }
    expect(serials.size).toBe(3);
    ac.abort();
  });

  test("issues and validates JWT-SVIDs; serves JWT bundles", async () => {
    const localCa = await createTestCa({ trustDomain: "example.org" });
    await using server = await start({
      ca: localCa,
      workloads: [{ id: "spiffe://example.org/web", hint: "a" }, { id: "spiffe://example.org/db" }],
      federatedBundles: [partner],
    });
    const client = connect(server);
    const all = await client.fetchJWTSVID({ audience: ["api", "other"] });
    expect(all.svids.map((s) => [s.spiffeId, s.hint])).toEqual([
      ["spiffe://example.org/web", "a"],
      ["spiffe://example.org/db", ""],
    ]);
    const one = await client.fetchJWTSVID({ audience: ["api"], spiffeId: "spiffe://example.org/db" });
    expect(one.svids.map((s) => s.spiffeId)).toEqual(["spiffe://example.org/db"]);
    const token = one.svids[0]!.svid;
    const valid = await client.validateJWTSVID({ audience: "api", svid: token });
    expect(valid.spiffeId).toBe("spiffe://example.org/db");
    expect(valid.claims?.["sub"]).toBe("spiffe://example.org/db");
    expect(valid.claims?.["aud"]).toEqual(["api"]);
    expect(typeof valid.claims?.["exp"]).toBe("number");
    // a federated trust domain's token validates with that bundle
    const partnerToken = await partner.issueJwtSvid({ id: "spiffe://partner.test/api", audience: "api" });
    expect((await client.validateJWTSVID({ audience: "api", svid: partnerToken.token })).spiffeId).toBe("spiffe://partner.test/api");

    const rejects: Array<[() => Promise<unknown>, Code, string]> = [
      [() => client.fetchJWTSVID({ audience: [] }), Code.InvalidArgument, "audience must be specified"],
      [() => client.fetchJWTSVID({ audience: ["api"], spiffeId: "spiffe://example.org/nope" }), Code.PermissionDenied, "no identity issued"],
      [() => client.validateJWTSVID({ audience: "", svid: token }), Code.InvalidArgument, "audience must be specified"],
      [() => client.validateJWTSVID({ audience: "api", svid: "" }), Code.InvalidArgument, "svid must be specified"],
      [() => client.validateJWTSVID({ audience: "db", svid: token }), Code.InvalidArgument, 'expected audience in ["db"] (audience=["api"])'],
      [() => client.validateJWTSVID({ audience: "api", svid: "a.b" }), Code.InvalidArgument, "token is not a compact JWS (header.payload.signature)"],
      [() => client.validateJWTSVID({ audience: "api", svid: `${token.slice(0, -4)}AAAA` }), Code.InvalidArgument, "token signature is invalid"],
    ];
    for (const [call, code, message] of rejects) {
      const err = await connectError(call());
      expect([err.code, err.rawMessage]).toEqual([code, message]);
    }
    const expired = await localCa.issueJwtSvid({ id: "spiffe://example.org/web", audience: "api", claims: { exp: 1 } });
    expect((await connectError(client.validateJWTSVID({ audience: "api", svid: expired.token }))).rawMessage).toBe("token has expired");
    const stranger = await createTestCa({ trustDomain: "stranger.test" });
    const strangerToken = await stranger.issueJwtSvid({ id: "spiffe://stranger.test/x", audience: "api" });
    expect((await connectError(client.validateJWTSVID({ audience: "api", svid: strangerToken.token }))).rawMessage).toBe(
      'no keys found for trust domain "stranger.test"',
    );
    const fetchCall = server.calls.find((c) => c.method === "FetchJWTSVID")!;
    expect(fetchCall.request).toEqual({ audience: ["api", "other"], spiffeId: "" });
    expect(fetchCall.status).toEqual({ code: "OK", message: "" });

    const ac = new AbortController();
    const bundles = client.fetchJWTBundles({}, { signal: ac.signal })[Symbol.asyncIterator]();
    const b1 = await next(bundles);
    expect(Object.keys(b1.bundles).sort()).toEqual(["spiffe://example.org", "spiffe://partner.test"]);
    // a standard JWKS, as SPIRE serves it: the keys without the SPIFFE bundle's `use` member
    expect(JSON.parse(new TextDecoder().decode(b1.bundles["spiffe://example.org"]!))).toEqual({ keys: localCa.jwks.keys.map(({ use: _use, ...k }) => k) });
    await localCa.rotateJwtKey();
    const b2 = await next(bundles);
    const jwks = JSON.parse(new TextDecoder().decode(b2.bundles["spiffe://example.org"]!)) as { keys: unknown[] };
    expect(jwks.keys.length).toBe(2);
    // the token signed with the previous key still validates (overlap), not after the drop
    expect((await client.validateJWTSVID({ audience: "api", svid: token })).spiffeId).toBe("spiffe://example.org/db");
    localCa.dropPreviousJwtKeys();
    expect((await connectError(client.validateJWTSVID({ audience: "api", svid: token }))).code).toBe(Code.InvalidArgument);
    ac.abort();
  });

  test("answers like SPIRE's agent: JWT-SVID request errors in SPIRE's order, duplicate hints, no identity", async () => {
    await using server = await start({
      workloads: [{ id: "spiffe://example.org/first", hint: "h" }, { id: "spiffe://example.org/second", hint: "h" }, { id: "spiffe://example.org/plain" }],
      federatedBundles: [partner],
    });
    const client = connect(server);
    // one identity per non-empty hint: the first listed, for X.509 and JWT alike
    const x509 = await next(client.fetchX509SVID({})[Symbol.asyncIterator]());
    expect(x509.svids.map((s) => [s.spiffeId, s.hint])).toEqual([["spiffe://example.org/first", "h"], ["spiffe://example.org/plain", ""]]);
    const jwt = await client.fetchJWTSVID({ audience: ["api"] });
    expect(jwt.svids.map((s) => s.spiffeId)).toEqual(["spiffe://example.org/first", "spiffe://example.org/plain"]);
    const dropped = await connectError(client.fetchJWTSVID({ audience: ["api"], spiffeId: "spiffe://example.org/second" }));
    expect([dropped.code, dropped.rawMessage]).toEqual([Code.PermissionDenied, "no identity issued"]);
    // "invalid requested SPIFFE ID: <why>", before the identity check
    const badId = await connectError(client.fetchJWTSVID({ audience: ["api"], spiffeId: "not an id" }));
    expect(badId.code).toBe(Code.InvalidArgument);
    expect(badId.rawMessage).toMatch(/^invalid requested SPIFFE ID: ./);
    const emptyAudience = await connectError(client.fetchJWTSVID({ audience: ["api", ""] }));
    expect([emptyAudience.code, emptyAudience.rawMessage]).toEqual([Code.InvalidArgument, "invalid JWT-SVID audience: cannot be empty"]);
    const partnerToken = (await partner.issueJwtSvid({ id: "spiffe://partner.test/api", audience: "api" })).token;
    const ownToken = (await ca.issueJwtSvid({ id: "spiffe://example.org/x", audience: "api" })).token;
    expect((await client.validateJWTSVID({ audience: "api", svid: partnerToken })).spiffeId).toBe("spiffe://partner.test/api");

    server.setWorkloads([]);
    // without identity: the audience list and the requested ID are still checked first...
    for (const [call, code] of [
      [() => client.fetchJWTSVID({ audience: [] }), Code.InvalidArgument],
      [() => client.fetchJWTSVID({ audience: ["api"], spiffeId: "not an id" }), Code.InvalidArgument],
      [() => client.fetchJWTSVID({ audience: [""] }), Code.PermissionDenied],
      [() => client.fetchJWTSVID({ audience: ["api"] }), Code.PermissionDenied],
    ] as const) {
      expect((await connectError(call())).code).toBe(code);
    }
    // ...ValidateJWTSVID still works with the own trust domain's keys, but not with federated ones
    expect((await client.validateJWTSVID({ audience: "api", svid: ownToken })).spiffeId).toBe("spiffe://example.org/x");
    const federated = await connectError(client.validateJWTSVID({ audience: "api", svid: partnerToken }));
    expect([federated.code, federated.rawMessage]).toEqual([Code.InvalidArgument, 'no keys found for trust domain "partner.test"']);
  });

  test("no workloads: PermissionDenied 'no identity issued' (open and new streams)", async () => {
    await using server = await start();
    const client = connect(server);
    const it = client.fetchX509SVID({})[Symbol.asyncIterator]();
    await next(it);
    server.setWorkloads([]);
    const err = await connectError(it.next());
    expect([err.code, err.rawMessage]).toEqual([Code.PermissionDenied, "no identity issued"]);
    for (const call of [
      () => client.fetchX509SVID({})[Symbol.asyncIterator]().next(),
      () => client.fetchX509Bundles({})[Symbol.asyncIterator]().next(),
      () => client.fetchJWTBundles({})[Symbol.asyncIterator]().next(),
      () => client.fetchJWTSVID({ audience: ["api"] }),
    ]) {
      expect((await connectError(call())).code).toBe(Code.PermissionDenied);
    }
    server.setWorkloads([{ id: "spiffe://example.org/back" }]);
    const again = await next(client.fetchX509SVID({})[Symbol.asyncIterator]());
    expect(again.svids[0]!.spiffeId).toBe("spiffe://example.org/back");
    expect(server.calls[0]!.status).toEqual({ code: "PermissionDenied", message: "no identity issued" });
  });

  test("selects workloads by a test-supplied header", async () => {
    await using server = await start({
      workloads: { header: "X-Test-Workload", byValue: { web: [{ id: "spiffe://example.org/web" }], db: [{ id: "spiffe://example.org/db" }] } },
    });
    const web = await next(connect(server, { extra: { "x-test-workload": "web" } }).fetchX509SVID({})[Symbol.asyncIterator]());
    const db = await next(connect(server, { extra: { "x-test-workload": "db" } }).fetchX509SVID({})[Symbol.asyncIterator]());
    expect(web.svids[0]!.spiffeId).toBe("spiffe://example.org/web");
    expect(db.svids[0]!.spiffeId).toBe("spiffe://example.org/db");
    const none = connect(server).fetchX509SVID({})[Symbol.asyncIterator]().next();
    expect((await connectError(none)).code).toBe(Code.PermissionDenied);
    const unknown = connect(server, { extra: { "x-test-workload": "cache" } }).fetchJWTSVID({ audience: ["a"] });
    expect((await connectError(unknown)).code).toBe(Code.PermissionDenied);
    server.closeStreams();
  });

  test("federated bundles can be set, added and removed", async () => {
    const other = await createTestCa({ trustDomain: "other.test" });
    await using server = await start();
    const client = connect(server);
    const ac = new AbortController();
    const it = client.fetchX509Bundles({}, { signal: ac.signal })[Symbol.asyncIterator]();
    expect(Object.keys((await next(it)).bundles)).toEqual(["spiffe://example.org"]);
    server.addFederatedBundle(partner);
    expect(Object.keys((await next(it)).bundles).sort()).toEqual(["spiffe://example.org", "spiffe://partner.test"]);
    server.setFederatedBundles([partner, other.x509Bundle]);
    expect(Object.keys((await next(it)).bundles).sort()).toEqual(["spiffe://example.org", "spiffe://other.test", "spiffe://partner.test"]);
    server.removeFederatedBundle("partner.test");
    expect(Object.keys((await next(it)).bundles).sort()).toEqual(["spiffe://example.org", "spiffe://other.test"]);
    // a federated TestCa is followed live
    server.addFederatedBundle(partner);
    await next(it);
    await partner.rotateX509Authority();
    const latest = await next(it);
    expect(hex(latest.bundles["spiffe://partner.test"]!)).toBe(hex(concat(partner.x509Authorities)));
    // JWT bundles of an X509Bundle-only federation are absent; a JwtBundle adds them
    server.setFederatedBundles([other.x509Bundle, partner.jwtBundle]);
    await next(it);
    const jwt = await next(client.fetchJWTBundles({}, { signal: ac.signal })[Symbol.asyncIterator]());
    expect(Object.keys(jwt.bundles).sort()).toEqual(["spiffe://example.org", "spiffe://partner.test"]);
    ac.abort();
    expect(() => server.setFederatedBundles([{} as unknown as TestCa])).toThrow();
  });

  test("pushRawX509Response sends malformed responses until the next state change", async () => {
    await using server = await start();
    const client = connect(server);
    const ac = new AbortController();
    const it = client.fetchX509SVID({}, { signal: ac.signal })[Symbol.asyncIterator]();
    await next(it);
    const a = await ca.issueX509Svid({ id: "spiffe://example.org/a" });
    const b = await ca.issueX509Svid({ id: "spiffe://example.org/b" });
    const good = rawX509SvidResponse(ca, [a]);
    server.pushRawX509Response({ svids: [] });
    server.pushRawX509Response({ svids: [{ ...good.svids![0], x509SvidKey: b.privateKey }] });
    server.pushRawX509Response({ svids: [{ spiffeId: "spiffe://example.org/a", x509Svid: new Uint8Array([1, 2, 3]) }], crl: [new Uint8Array([9])] });
    expect((await next(it)).svids.length).toBe(0);
    const mismatched = (await next(it)).svids[0]!;
    expect(hex(mismatched.x509SvidKey)).toBe(hex(b.privateKey));
    expect(hex(mismatched.x509Svid)).toBe(hex(concat(a.certificates)));
    const bad = await next(it);
    expect([bad.svids[0]!.spiffeId, hex(bad.svids[0]!.x509Svid), bad.svids[0]!.x509SvidKey.length, bad.crl.length]).toEqual([
      "spiffe://example.org/a",
      "010203",
      0,
      1,
    ]);
    // a new stream gets the latest raw response too
    const late = await next(client.fetchX509SVID({}, { signal: ac.signal })[Symbol.asyncIterator]());
    expect(hex(late.svids[0]!.x509Svid)).toBe("010203");
    await server.rotate();
    expect((await next(it)).svids[0]!.spiffeId).toBe("spiffe://example.org/web");
    // raw bundle responses
    const bundles = client.fetchJWTBundles({}, { signal: ac.signal })[Symbol.asyncIterator]();
    await next(bundles);
    server.pushRawJwtBundlesResponse({ bundles: { "spiffe://example.org": new TextEncoder().encode("not json") } });
    expect(new TextDecoder().decode((await next(bundles)).bundles["spiffe://example.org"]!)).toBe("not json");
    const x509Bundles = client.fetchX509Bundles({}, { signal: ac.signal })[Symbol.asyncIterator]();
    await next(x509Bundles);
    server.pushRawX509BundlesResponse({ bundles: {} });
    expect((await next(x509Bundles)).bundles).toEqual({});
    ac.abort();
    await expectInvalidArgument(() => server.pushRawX509Response(null as unknown as {}), "response");
  });

  test("failNext fails the next calls with the given status", async () => {
    await using server = await start();
    const client = connect(server);
    server.failNext(2, "Unavailable", "agent busy");
    for (let i = 0; i < 2; i++) {
      const err = await connectError(client.fetchJWTSVID({ audience: ["api"] }));
      expect([err.code, err.rawMessage]).toEqual([Code.Unavailable, "agent busy"]);
    }
    expect((await client.fetchJWTSVID({ audience: ["api"] })).svids.length).toBe(1);
    server.failNext(1, "Internal", undefined, "FetchX509SVID");
    expect((await client.fetchJWTSVID({ audience: ["api"] })).svids.length).toBe(1); // other method unaffected
    const err = await connectError(client.fetchX509SVID({})[Symbol.asyncIterator]().next());
    expect(err.code).toBe(Code.Internal);
    expect((await next(client.fetchX509SVID({})[Symbol.asyncIterator]())).svids.length).toBe(1);
    expect(server.calls.slice(0, 2).map((c) => c.status)).toEqual([
      { code: "Unavailable", message: "agent busy" },
      { code: "Unavailable", message: "agent busy" },
    ]);
    await expectInvalidArgument(() => server.failNext(1, "Nope" as "Internal"), "code");
    await expectInvalidArgument(() => server.failNext(1, "OK" as "Internal"), "code");
    await expectInvalidArgument(() => server.failNext(-1, "Internal"), "count");
    await expectInvalidArgument(() => server.failNext(1, "Internal", "", "Fetch" as "FetchX509SVID"), "method");
    server.clearCalls();
    expect(server.calls.length).toBe(0);
    server.closeStreams();
  });

  test("closeStreams ends streams cleanly or with a status", async () => {
    await using server = await start();
    const client = connect(server);
    const it = client.fetchX509SVID({})[Symbol.asyncIterator]();
    await next(it);
    await waitFor(() => server.openStreams === 1);
    server.closeStreams();
    expect((await it.next()).done).toBe(true);
    const it2 = client.fetchX509Bundles({})[Symbol.asyncIterator]();
    await next(it2);
    server.closeStreams("Unavailable", "going away");
    const err = await connectError(it2.next());
    expect([err.code, err.rawMessage]).toEqual([Code.Unavailable, "going away"]);
    await waitFor(() => server.openStreams === 0);
    expect(server.calls.map((c) => c.status?.code)).toEqual(["OK", "Unavailable"]);
    await expectInvalidArgument(() => server.closeStreams("Bogus" as "Unavailable"), "code");
  });

  test("stop() drops connections and removes the socket; restart() serves again on the same socket", async () => {
    await using server = await start();
    const path = server.socketPath!;
    const client = connect(server);
    const it = client.fetchX509SVID({})[Symbol.asyncIterator]();
    await next(it);
    await server.stop();
    expect(server.running).toBe(false);
    expect(existsSync(path)).toBe(false);
    await connectError(it.next());
    await connectError(client.fetchJWTSVID({ audience: ["api"] }));
    await server.restart();
    expect(server.running).toBe(true);
    expect(server.address).toBe(`unix://${path}`);
    const again = await next(connect(server).fetchX509SVID({})[Symbol.asyncIterator]());
    expect(again.svids[0]!.spiffeId).toBe("spiffe://example.org/web");
    expect(server.calls.length).toBeGreaterThanOrEqual(2);
    server.closeStreams();
    await server[Symbol.asyncDispose]();
    expect(existsSync(path)).toBe(false);
  });

  test("TCP mode on 127.0.0.1 keeps its port across restart", async () => {
    await using server = await start({ socketPath: undefined, tcpPort: 0 });
    expect(server.socketPath).toBe(undefined);
    expect(server.port! > 0).toBe(true);
    expect(server.address).toBe(`tcp://127.0.0.1:${server.port}`);
    const first = await connect(server).fetchJWTSVID({ audience: ["api"] });
    expect(first.svids.length).toBe(1);
    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    expect((await connect(server).fetchJWTSVID({ audience: ["api"] })).svids.length).toBe(1);
  });

  test("rejects invalid options", async () => {
    const base = { ca, workloads: [{ id: "spiffe://example.org/web" }] };
    await expectInvalidArgument(startWorkloadApiServer(base), "socketPath", ConfigError);
    await expectInvalidArgument(startWorkloadApiServer({ ...base, socketPath: socketPath(), tcpPort: 0 }), "tcpPort", ConfigError);
    await expectInvalidArgument(startWorkloadApiServer({ ...base, tcpPort: 70000 }), "tcpPort", ConfigError);
    await expectInvalidArgument(startWorkloadApiServer({ ...base, socketPath: "" }), "socketPath", ConfigError);
    await expectInvalidArgument(startWorkloadApiServer({ ...base, socketPath: socketPath(), ca: {} as TestCa }), "ca", ConfigError);
    await expectInvalidArgument(startWorkloadApiServer({ ...base, socketPath: socketPath(), svidTtlMs: 0 }), "svidTtlMs", ConfigError);
    await expectCode(startWorkloadApiServer({ ...base, socketPath: socketPath(), workloads: [{ id: "spiffe://example.org/a/../b" }] }), "ERR_SPIFFE_ID_DOT_SEGMENT");
    await expectInvalidArgument(startWorkloadApiServer({ ...base, socketPath: socketPath(), workloads: { header: "", byValue: {} } }), "workloads");
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "keep me");
    await expectCode(startWorkloadApiServer({ ...base, socketPath: file }), "ERR_TESTING_LISTEN");
    expect(existsSync(file)).toBe(true);
    await using server = await start();
    await expectCode(() => server.setWorkloads([{ id: "nope" }]), "ERR_SPIFFE_ID_WRONG_SCHEME");
  });
});
