// createBundleEndpointHandler: what it serves (the SPIFFE bundle document, headers), from which
// sources, how it numbers bundles, and what it refuses; called directly and through the
// runtime's own HTTP server (Bun.serve, Deno.serve, node:http).
import { beforeAll, describe, expect, test } from "bun:test";
import { BundleSet, ConfigError, createBundleEndpointHandler, FederationError, JwtBundle, SpiffeBundle, X509Bundle, X509Svid } from "../../mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { serveWeb } from "./serve-web.ts";

const TD = "example.org";
let ca: TestCa;
let other: TestCa;

beforeAll(async () => {
  ca = await createTestCa({ trustDomain: TD });
  other = await createTestCa({ trustDomain: "other.org" });
});

const get = (init: RequestInit = {}): Request => new Request("https://bundles.example.org/", init);

describe("createBundleEndpointHandler", () => {
  test("GET: the SPIFFE bundle document with x509-svid and jwt-svid keys, spiffe_sequence and spiffe_refresh_hint, as application/json", async () => {
    const source = SpiffeBundle.fromBundles(TD, { x509: ca.x509Bundle, jwt: ca.jwtBundle, sequenceNumber: 42, refreshHintSeconds: 120 });
    const handler = createBundleEndpointHandler({ trustDomain: TD, source });
    const response = await handler(get());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const doc = await response.json();
    expect(doc.spiffe_sequence).toBe(42);
    expect(doc.spiffe_refresh_hint).toBe(120);
    expect(doc.keys.map((k: { use: string }) => k.use)).toEqual(["x509-svid", "jwt-svid"]);
    expect(SpiffeBundle.parse(TD, JSON.stringify(doc)).equals(source)).toBe(true);
  });

  test("HEAD has the headers and no body; a matching If-None-Match gets 304; other methods 405 with Allow", async () => {
    const handler = createBundleEndpointHandler({ trustDomain: TD, source: ca.x509Bundle, maxAgeSeconds: 60 });
    const full = await handler(get());
    const etag = full.headers.get("etag")!;
    expect(full.headers.get("cache-control")).toBe("public, max-age=60");
    const head = await handler(get({ method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
    expect(await head.text()).toBe("");
    const notModified = await handler(get({ headers: { "if-none-match": `"other", ${etag}` } }));
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    expect((await handler(get({ headers: { "if-none-match": "\"stale\"" } }))).status).toBe(200);
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
      const refused = await handler(get({ method, ...(method === "POST" || method === "PUT" || method === "PATCH" ? { body: "x" } : {}) }));
      expect(`${method} ${refused.status}`).toBe(`${method} 405`);
      expect(refused.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  test("any bundle source: X.509 and JWT parts are assembled; the handler numbers new contents with the clock and keeps the number while they stay the same", async () => {
    let now = new Date("2026-12-06T10:00:00Z");
    const set = new BundleSet<X509Bundle | JwtBundle | SpiffeBundle>([ca.x509Bundle]);
    const jwtOnly = { getJwtBundleForTrustDomain: (td: { name: string }) => (td.name === TD ? ca.jwtBundle : undefined) };
    const handler = createBundleEndpointHandler({ trustDomain: TD, source: set, now: () => now });
    const first = await (await handler(get())).json();
    expect(first.spiffe_sequence).toBe(Date.parse("2026-12-06T10:00:00Z") / 1000);
    expect(first.spiffe_refresh_hint).toBe(300);
    expect(first.keys.map((k: { use: string }) => k.use)).toEqual(["x509-svid"]);
    now = new Date(now.getTime() + 5000);
    expect((await (await handler(get())).json()).spiffe_sequence).toBe(first.spiffe_sequence); // same keys, same number
    await ca.rotateX509Authority();
    set.set(ca.x509Bundle);
    const rotated = await (await handler(get())).json();
    expect(rotated.spiffe_sequence).toBe(first.spiffe_sequence + 5);
    expect(rotated.keys.length).toBe(2);
    // Two changes within one second still increase the number.
    await ca.rotateX509Authority();
    set.set(ca.x509Bundle);
    expect((await (await handler(get())).json()).spiffe_sequence).toBe(rotated.spiffe_sequence + 1);

    const jwt = await (await createBundleEndpointHandler({ trustDomain: TD, source: jwtOnly, refreshHintSeconds: 30 })(get())).json();
    expect(jwt.keys.every((k: { use: string }) => k.use === "jwt-svid")).toBe(true);
    expect(jwt.spiffe_refresh_hint).toBe(30);

    const issued = await ca.issueX509Svid({ id: `spiffe://${TD}/server` });
    const svidSource = new FakeX509Source({ svid: await X509Svid.parse(issued.certificatesPem, issued.privateKeyPem), bundles: [ca.x509Bundle] });
    expect((await createBundleEndpointHandler({ trustDomain: TD, source: svidSource })(get())).status).toBe(200);
  });

  test("no bundle, a failing source, or another trust domain's bundle: 503 and a logged error, never a partial or foreign bundle", async () => {
    const logged: string[] = [];
    const logger = { error: (_m: string, f?: Record<string, unknown>) => logged.push(String(f?.code)) };
    const failing = {
      getX509BundleForTrustDomain: () => ca.x509Bundle,
      getJwtBundleForTrustDomain: () => {
        throw new FederationError("ERR_FEDERATION_CLOSED", "gone");
      },
    };
    const foreign = { getForTrustDomain: () => SpiffeBundle.fromBundles("other.org", { x509: other.x509Bundle }) };
    for (const source of [new BundleSet([other.x509Bundle]), failing, foreign]) {
      const response = await createBundleEndpointHandler({ trustDomain: TD, source, logger })(get());
      expect(response.status).toBe(503);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.text()).not.toContain("keys");
    }
    expect(logged).toEqual(["ERR_FEDERATION_NO_BUNDLE", "ERR_FEDERATION_CLOSED", "ERR_FEDERATION_TRUST_DOMAIN_MISMATCH"]);
  });

  test("invalid options throw ConfigError ERR_INVALID_ARGUMENT naming the option", async () => {
    // no options object at all: the argument itself, an InvalidArgumentError (not a ConfigError)
    expect(await expectInvalidArgument(() => createBundleEndpointHandler(undefined as never), "options")).not.toBeInstanceOf(ConfigError);
    const cases: Array<[unknown, string]> = [
      [{ trustDomain: TD }, "source"],
      [{ trustDomain: "Bad TD", source: ca.x509Bundle }, "trustDomain"],
      [{ trustDomain: TD, source: {} }, "source"],
      [{ trustDomain: TD, source: ca.x509Bundle, refreshHintSeconds: -1 }, "refreshHintSeconds"],
      [{ trustDomain: TD, source: ca.x509Bundle, maxAgeSeconds: 1.5 }, "maxAgeSeconds"],
    ];
    for (const [options, option] of cases) {
      await expectInvalidArgument(() => createBundleEndpointHandler(options as never), option, ConfigError);
    }
  });

  test("served by the runtime's own server (Bun.serve / Deno.serve / node:http): status, headers and document arrive intact", async () => {
    const source = SpiffeBundle.fromBundles(TD, { x509: ca.x509Bundle, jwt: ca.jwtBundle, sequenceNumber: 3 });
    const server = await serveWeb(createBundleEndpointHandler({ trustDomain: TD, source }));
    try {
      const response = await fetch(`${server.origin}/any/path`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(response.headers.get("etag")).toBeTruthy();
      expect(SpiffeBundle.parse(TD, await response.text()).sequenceNumber).toBe(3);
      const refused = await fetch(server.origin, { method: "POST", body: "x" });
      expect(refused.status).toBe(405);
      await refused.body?.cancel();
    } finally {
      await server.close();
    }
  });
});
