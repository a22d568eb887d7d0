import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  authorizeAny,
  composeMiddleware,
  ConfigError,
  getPeerIdentity,
  getSpiffeId,
  InvalidArgumentError,
  type JwtSvidSource,
  JwtSvid,
  requireJwtSvid,
  requireTrustDomain,
} from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { jwtSvidAuthorizer } from "../../src/http/jwt-svid-bearer.ts";
import { withSpiffeId } from "../../src/http/with-spiffe-id.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { createPki, sourceFor } from "../adapters/mtls-fixtures.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
const { createMtlsClient, serveMtls } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

const AUD = "spiffe://example.org/api";
const WEB = "spiffe://example.org/web";

let ca: TestCa;
let other: TestCa;
beforeAll(async () => {
  ca = await createTestCa({ trustDomain: "example.org" });
  other = await createTestCa({ trustDomain: "other.org" });
});

const echo = (request: Request): Response => {
  const peer = getPeerIdentity(request);
  return Response.json({ id: peer?.id.toString() ?? null, mechanism: peer?.mechanism ?? null, certificates: peer?.certificates.length ?? null });
};

const call = (authorization?: string, base?: Request): Request =>
  new Request(base ?? "http://localhost/api", authorization === undefined ? {} : { headers: { authorization } });

describe("requireJwtSvid", () => {
  test("a valid Bearer JWT-SVID reaches the handler with the caller's identity (mechanism jwt-svid)", async () => {
    const handler = requireJwtSvid({ source: ca.jwtBundle, audience: AUD })(echo);
    const { token } = await ca.issueJwtSvid({ id: WEB, audience: AUD });
    for (const scheme of ["Bearer", "bearer", "BEARER"]) {
      const response = await handler(call(`${scheme} ${token}`), undefined);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: WEB, mechanism: "jwt-svid", certificates: 0 });
    }
  });

  test("an identity set before (e.g. by mTLS) is replaced by the JWT-SVID's", async () => {
    const handler = requireJwtSvid({ source: ca.jwtBundle, audience: [AUD, "reports"] })(echo);
    const { token } = await ca.issueJwtSvid({ id: WEB, audience: "reports" });
    const request = withSpiffeId(call(`Bearer ${token}`), "spiffe://example.org/gateway");
    expect(await (await handler(request, undefined)).json()).toEqual({ id: WEB, mechanism: "jwt-svid", certificates: 0 });
  });

  test("no Authorization header: 401 with WWW-Authenticate: Bearer", async () => {
    let reached = false;
    const handler = requireJwtSvid({ source: ca.jwtBundle, audience: AUD })(() => ((reached = true), new Response("no")));
    const response = await handler(call(), undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect((await response.json()).error).toBe("unauthenticated");
    expect(reached).toBe(false);
  });

  test("not a Bearer token, or an invalid one: 401 invalid_token, no internals, the code logged without the token", async () => {
    const warnings: Record<string, unknown>[] = [];
    const logger = { warn: (_message: string, fields?: Record<string, unknown>) => void warnings.push(fields ?? {}) };
    let reached = false;
    const handler = requireJwtSvid({ source: ca.jwtBundle, audience: AUD, logger })(() => ((reached = true), new Response("no")));
    const valid = (await ca.issueJwtSvid({ id: WEB, audience: AUD })).token;
    const cases: [string, string | undefined][] = [
      [`Basic ${btoa("a:b")}`, undefined],
      ["Bearer", undefined],
      [`Bearer ${valid} extra`, undefined],
      [`Bearer ${valid}, Bearer ${valid}`, undefined],
      [`Bearer ${(await ca.issueJwtSvid({ id: WEB, audience: AUD, claims: { exp: 1 } })).token}`, "ERR_JWT_SVID_EXPIRED"],
      [`Bearer ${(await ca.issueJwtSvid({ id: WEB, audience: "spiffe://example.org/other" })).token}`, "ERR_JWT_SVID_AUDIENCE_MISMATCH"],
      [`Bearer ${(await other.issueJwtSvid({ id: "spiffe://other.org/web", audience: AUD })).token}`, "ERR_JWT_SVID_NO_BUNDLE"],
      [`Bearer ${valid.slice(0, -4)}AAAA`, "ERR_JWT_SVID_SIGNATURE"],
      ["Bearer a.b.c", "ERR_JWT_SVID_BASE64URL"],
      ["Bearer e30.e30.AAAA", "ERR_JWT_SVID_UNSUPPORTED_ALG"],
    ];
    for (const [authorization, code] of cases) {
      const before = warnings.length;
      const response = await handler(call(authorization), undefined);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      const body = await response.text();
      expect(body.includes("ERR_")).toBe(false);
      expect(body.includes(valid.split(".")[2]!)).toBe(false);
      expect(warnings.length).toBe(before + 1);
      if (code) expect(warnings.at(-1)!["code"]).toBe(code);
      expect(JSON.stringify(warnings.at(-1)).includes(valid.split(".")[2]!)).toBe(false);
    }
    expect(reached).toBe(false);
  });

  test("composes with the identity middleware: 403 for a caller of another trust domain", async () => {
    const source = { getJwtBundleForTrustDomain: (td: { name: string }) => (td.name === "example.org" ? ca.jwtBundle : td.name === "other.org" ? other.jwtBundle : undefined) };
    const handler = composeMiddleware(requireJwtSvid({ source, audience: AUD }), requireTrustDomain("example.org"))(echo);
    const mine = (await ca.issueJwtSvid({ id: WEB, audience: AUD })).token;
    const theirs = (await other.issueJwtSvid({ id: "spiffe://other.org/web", audience: AUD })).token;
    expect((await handler(call(`Bearer ${mine}`), undefined)).status).toBe(200);
    expect((await handler(call(`Bearer ${theirs}`), undefined)).status).toBe(403);
  });

  test("a clock and a clock skew can be given", async () => {
    const { token, expiresAt } = await ca.issueJwtSvid({ id: WEB, audience: AUD });
    const later = (s: number) => () => new Date(expiresAt.getTime() + s * 1000);
    expect((await requireJwtSvid({ source: ca.jwtBundle, audience: AUD, now: later(10) })(echo)(call(`Bearer ${token}`), undefined)).status).toBe(200);
    expect((await requireJwtSvid({ source: ca.jwtBundle, audience: AUD, now: later(10), clockSkewSeconds: 0 })(echo)(call(`Bearer ${token}`), undefined)).status).toBe(401);
  });

  test("options are checked at creation", () => {
    // no options object: the argument itself is wrong (InvalidArgumentError, not a ConfigError)
    let missing: unknown;
    try {
      requireJwtSvid(undefined as never);
    } catch (err) {
      missing = err;
    }
    expect(missing).toBeInstanceOf(InvalidArgumentError);
    expect(missing).not.toBeInstanceOf(ConfigError);
    expect(missing).toMatchObject({ code: "ERR_INVALID_ARGUMENT", argument: "options" });
    const cases: [unknown, string][] = [
      [{ audience: AUD }, "source"],
      [{ source: {}, audience: AUD }, "source"],
      [{ source: ca.jwtBundle }, "audience"],
      [{ source: ca.jwtBundle, audience: "" }, "audience"],
      [{ source: ca.jwtBundle, audience: [] }, "audience"],
      [{ source: ca.jwtBundle, audience: AUD, clockSkewSeconds: 301 }, "clockSkewSeconds"],
      [{ source: ca.jwtBundle, audience: AUD, now: new Date() }, "now"],
      [{ source: ca.jwtBundle, audience: AUD, logger: "console" }, "logger"],
    ];
    for (const [options, option] of cases) {
      let error: unknown;
      try {
        requireJwtSvid(options as never);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
    }
  });
});

describe("createMtlsClient jwtSvid option", () => {
  const sourceOf = (tokens: string[], audiences: unknown[]): JwtSvidSource => ({
    fetchJwtSvid: async (o) => {
      audiences.push(o.audience);
      return JwtSvid.parseInsecure(tokens.shift()!);
    },
  });

  test("sets Authorization: Bearer from the source for the audience, unless the request sets it", async () => {
    const { token } = await ca.issueJwtSvid({ id: WEB, audience: AUD });
    const audiences: unknown[] = [];
    const attach = jwtSvidAuthorizer({ source: sourceOf([token, token], audiences), audience: AUD })!;
    const headers = new Headers();
    await attach(headers);
    expect(headers.get("authorization")).toBe(`Bearer ${token}`);
    const explicit = new Headers({ authorization: "Bearer mine" });
    await attach(explicit);
    expect(explicit.get("authorization")).toBe("Bearer mine");
    expect(audiences).toEqual([AUD]);
    expect(jwtSvidAuthorizer(undefined)).toBe(undefined);
  });

  test("a malformed option is a ConfigError", () => {
    for (const [option, name] of [
      [null, "jwtSvid"],
      [{ audience: AUD }, "jwtSvid.source"],
      [{ source: {}, audience: AUD }, "jwtSvid.source"],
      [{ source: sourceOf([], []), audience: "" }, "jwtSvid.audience"],
      [{ source: sourceOf([], []), audience: [AUD, 3] }, "jwtSvid.audience"],
    ] as const) {
      let error: unknown;
      try {
        jwtSvidAuthorizer(option as never);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(name);
    }
  });

  describe("end to end over SPIFFE mTLS", () => {
    let server: MtlsServer;
    beforeAll(async () => {
      const pki = await createPki();
      const serverSource = await sourceFor(pki.inter, "spiffe://example.org/server", [pki.bundle]);
      server = await serveMtls({
        source: serverSource,
        authorizer: authorizeAny(),
        port: 0,
        hostname: "127.0.0.1",
        fetch: requireJwtSvid({ source: ca.jwtBundle, audience: AUD })((request) => Response.json({ id: getSpiffeId(request)?.toString(), mechanism: getPeerIdentity(request)?.mechanism })),
      });
      clientSource = await sourceFor(pki.inter, "spiffe://example.org/client", [pki.bundle]);
    });
    let clientSource: Awaited<ReturnType<typeof sourceFor>>;
    afterAll(async () => {
      await server?.close();
    });

    test("every request carries a JWT-SVID; the server sees the JWT-SVID's identity", async () => {
      const audiences: unknown[] = [];
      const tokens = await Promise.all([1, 2].map(async () => (await ca.issueJwtSvid({ id: WEB, audience: AUD })).token));
      const client = createMtlsClient({ source: clientSource, authorizer: authorizeAny(), jwtSvid: { source: sourceOf(tokens, audiences), audience: AUD } });
      try {
        for (let i = 0; i < 2; i++) {
          const response = await client.get(new URL("/who", server.url));
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ id: WEB, mechanism: "jwt-svid" });
        }
        expect(audiences).toEqual([AUD, AUD]);
      } finally {
        await client.close();
      }
      const plain = createMtlsClient({ source: clientSource, authorizer: authorizeAny() });
      try {
        expect((await plain.get(new URL("/who", server.url))).status).toBe(401);
      } finally {
        await plain.close();
      }
    });
  });
});
