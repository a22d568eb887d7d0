import { describe, expect, test } from "bun:test";
import {
  AuthenticationError,
  authorizeId,
  composeMiddleware,
  getForwardedSubject,
  getPeerIdentity,
  getSpiffeId,
  logIdentity,
  requireAuthentication,
  requireAuthorized,
  requirePathPrefix,
  requireSpiffeId,
  requireTrustDomain,
  SpiffeId,
} from "../../mod.ts";
import { withSpiffeId } from "../../src/http/with-spiffe-id.ts";

const ok = (request: Request): Response => new Response(`hello ${getSpiffeId(request)}`);
const req = (id?: string, headers?: Record<string, string>): Request => {
  const r = new Request("http://localhost/api/hello", { headers });
  return id ? withSpiffeId(r, id) : r;
};

describe("identity of a request", () => {
  test("getSpiffeId / requireSpiffeId / getPeerIdentity", () => {
    const r = req("spiffe://example.org/client");
    expect(getSpiffeId(r)?.toString()).toBe("spiffe://example.org/client");
    expect(requireSpiffeId(r).trustDomain.name).toBe("example.org");
    expect(getPeerIdentity(r)?.mechanism).toBe("test");
    expect(getSpiffeId(req())).toBeUndefined();
    expect(() => requireSpiffeId(req())).toThrow(AuthenticationError);
  });

  test("a header never becomes the caller's identity", () => {
    const r = req(undefined, { "x-spiffe-id": "spiffe://example.org/admin" });
    expect(getSpiffeId(r)).toBeUndefined();
    expect(getPeerIdentity(r)).toBeUndefined();
  });

  test("the identity is frozen", () => {
    const peer = getPeerIdentity(req("spiffe://example.org/client"))!;
    expect(Object.isFrozen(peer)).toBe(true);
    expect(Object.isFrozen(peer.certificates)).toBe(true);
  });

  test("withSpiffeId rejects invalid IDs", () => {
    expect(() => withSpiffeId(new Request("http://x/"), "spiffe://Bad/x")).toThrow();
  });
});

describe("forwarded subject", () => {
  const gateway = "spiffe://example.org/gateway";
  const options = { trustedForwarders: authorizeId(gateway) };

  test("is read only when the verified caller is a trusted forwarder", async () => {
    const fromGateway = req(gateway, { "x-spiffe-id": "spiffe://example.org/user/alice" });
    expect(await getForwardedSubject(fromGateway, options)).toEqual({
      value: "spiffe://example.org/user/alice",
      forwardedBy: SpiffeId.parse(gateway),
    });
    // the caller stays the gateway
    expect(getSpiffeId(fromGateway)?.toString()).toBe(gateway);
  });

  test("is ignored from other callers, without a caller, or when absent", async () => {
    expect(await getForwardedSubject(req("spiffe://example.org/other", { "x-spiffe-id": "alice" }), options)).toBeUndefined();
    expect(await getForwardedSubject(req(undefined, { "x-spiffe-id": "alice" }), options)).toBeUndefined();
    expect(await getForwardedSubject(req(gateway), options)).toBeUndefined();
    expect(await getForwardedSubject(req(gateway, { "x-user": "bob" }), { ...options, header: "x-user" })).toEqual({
      value: "bob",
      forwardedBy: SpiffeId.parse(gateway),
    });
  });
});

describe("middleware", () => {
  test("requireAuthentication: 401 JSON without identity, passes with one", async () => {
    const h = requireAuthentication()(ok);
    const denied = await h(req(), undefined);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: "unauthenticated", message: expect.any(String) });
    expect(await (await h(req("spiffe://example.org/c"), undefined)).text()).toBe("hello spiffe://example.org/c");
  });

  test("requireTrustDomain: 401 / 403 / pass", async () => {
    const h = requireTrustDomain("example.org")(ok);
    expect((await h(req(), undefined)).status).toBe(401);
    expect((await h(req("spiffe://other.org/c"), undefined)).status).toBe(403);
    expect((await h(req("spiffe://example.org/c"), undefined)).status).toBe(200);
  });

  test("requirePathPrefix matches whole segments", async () => {
    const h = requirePathPrefix("/ns/prod")(ok);
    expect((await h(req(), undefined)).status).toBe(401);
    expect((await h(req("spiffe://example.org/ns/prod/web"), undefined)).status).toBe(200);
    expect((await h(req("spiffe://example.org/ns/production"), undefined)).status).toBe(403);
  });

  test("requireAuthorized runs an authorizer per request", async () => {
    const h = requireAuthorized(authorizeId("spiffe://example.org/c"))(ok);
    expect((await h(req(), undefined)).status).toBe(401);
    expect((await h(req("spiffe://example.org/d"), undefined)).status).toBe(403);
    expect((await h(req("spiffe://example.org/c"), undefined)).status).toBe(200);
    const buggy = requireAuthorized(() => {
      throw new TypeError("bug");
    })(ok);
    await expect(buggy(req("spiffe://example.org/c"), undefined)).rejects.toThrow(TypeError);
  });

  test("composeMiddleware applies left to right", async () => {
    const order: string[] = [];
    const tag = (name: string) => <C>(next: (r: Request, c: C) => Response | Promise<Response>) => (r: Request, c: C) => {
      order.push(name);
      return next(r, c);
    };
    const h = composeMiddleware(tag("a"), tag("b"), requireTrustDomain("example.org"))(ok);
    expect((await h(req("spiffe://example.org/c"), undefined)).status).toBe(200);
    expect(order).toEqual(["a", "b"]);
    expect((await h(req("spiffe://other.org/c"), undefined)).status).toBe(403);
  });

  test("logIdentity logs caller, status and duration, never headers", async () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    let t = 0;
    const h = logIdentity({ info: (m, f) => lines.push([m, f]) }, { now: () => (t += 5) })(ok);
    await h(req("spiffe://example.org/c", { authorization: "Bearer secret" }), undefined);
    expect(lines).toEqual([["request", { method: "GET", path: "/api/hello", spiffeId: "spiffe://example.org/c", mechanism: "test", status: 200, durationMs: 5 }]]);
    expect(JSON.stringify(lines)).not.toContain("secret");
  });
});
