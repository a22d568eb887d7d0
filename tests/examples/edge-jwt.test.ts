// examples/edge-jwt: the Worker-style fetch handler served by the runtime's own server
// (Deno.serve on Deno, Bun.serve on Bun, node:http + a small Request/Response bridge on Node),
// with the trust domain's bundle from an https_web bundle endpoint (our handler over HTTPS with
// a Web-PKI test root, which the handler's fetch trusts through fetchBundle's test-only `fetch`).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createBundleEndpointHandler, SpiffeBundle } from "../../mod.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { createEdgeJwtHandler } from "../../examples/edge-jwt/worker.ts";
import { serveWeb, type WebServer } from "../federation/serve-web.ts";
import { createWebPki, fetchTrusting } from "../federation/web-pki.ts";
import { repoFile } from "./example-process.ts";

const TD = "example.org";
const AUDIENCE = "spiffe://example.org/edge-api";

describe("examples/edge-jwt: JWT-SVID bearer tokens at the edge, bundles from an https_web endpoint", () => {
  let ca: TestCa;
  let endpointUp = true;
  let bundleEndpoint: WebServer;
  let edge: WebServer;
  let clock = Date.now();
  let trusting: ReturnType<typeof fetchTrusting>;
  let endpointRequests = 0;

  beforeAll(async () => {
    ca = await createTestCa({ trustDomain: TD });
    const pki = await createWebPki();
    let sequence = 1;
    const bundleHandler = createBundleEndpointHandler({
      trustDomain: TD,
      source: { getForTrustDomain: () => SpiffeBundle.fromBundles(TD, { x509: ca.x509Bundle, jwt: ca.jwtBundle, sequenceNumber: sequence, refreshHintSeconds: 60 }) },
    });
    ca.onChange(() => sequence++);
    bundleEndpoint = await serveWeb((request) => {
      endpointRequests++;
      return endpointUp ? bundleHandler(request) : new Response("down", { status: 503 });
    }, pki.localhost);
    trusting = fetchTrusting(pki.caPem);
    const handler = createEdgeJwtHandler({ BUNDLE_ENDPOINT_URL: `${bundleEndpoint.origin}/bundle`, TRUST_DOMAIN: TD, AUDIENCE }, { fetch: trusting, now: () => clock });
    edge = await serveWeb(handler);
  });

  afterAll(async () => {
    trusting?.close();
    await edge?.close();
    await bundleEndpoint?.close();
  });

  const whoami = (token?: string): Promise<Response> => fetch(`${edge.origin}/whoami`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  test("the worker imports nothing but the SDK's root entry and its own files (no node:*, Bun or Deno)", () => {
    const dir = repoFile("examples/edge-jwt");
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(join(dir, file), "utf8");
      const specifiers = [...source.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
      expect({ file, specifiers: specifiers.filter((s) => s !== "@spiffe-ts/sdk" && !s!.startsWith("./")) }).toEqual({ file, specifiers: [] });
      expect(/\b(Deno|Bun)\.|process\.|require\(/.test(source)).toBe(false);
    }
  });

  test("a valid JWT-SVID of the trust domain: 200 with the caller's ID", async () => {
    const { token } = await ca.issueJwtSvid({ id: "spiffe://example.org/billing", audience: AUDIENCE });
    const response = await whoami(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "spiffe://example.org/billing", trustDomain: TD, path: "/billing" });
  });

  test("no token, a tampered token, another audience, another trust domain: 401", async () => {
    const { token } = await ca.issueJwtSvid({ id: "spiffe://example.org/billing", audience: AUDIENCE });
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")));
    const forgedPayload = btoa(JSON.stringify({ ...claims, sub: "spiffe://example.org/admin" })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const otherAudience = (await ca.issueJwtSvid({ id: "spiffe://example.org/billing", audience: "spiffe://example.org/other" })).token;
    const stranger = await createTestCa({ trustDomain: "other.org" });
    const foreign = (await stranger.issueJwtSvid({ id: "spiffe://other.org/billing", audience: AUDIENCE })).token;
    const impostor = await createTestCa({ trustDomain: TD }); // signs for example.org with keys not in its bundle
    const impostorToken = (await impostor.issueJwtSvid({ id: "spiffe://example.org/billing", audience: AUDIENCE })).token;
    for (const [what, t] of [["none", undefined], ["tampered", `${header}.${forgedPayload}.${signature}`], ["audience", otherAudience], ["other trust domain", foreign], ["unknown key", impostorToken]] as const) {
      const response = await whoami(t);
      expect(`${what} ${response.status}`).toBe(`${what} 401`);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      await response.body?.cancel();
    }
  });

  test("after the refresh hint, a rotated JWT key is picked up; while the endpoint is down, the last good bundle keeps working", async () => {
    await ca.rotateJwtKey();
    const { token } = await ca.issueJwtSvid({ id: "spiffe://example.org/new-key", audience: AUDIENCE });
    expect((await whoami(token)).status).toBe(401); // the cached bundle is still fresh (hint 60 s)
    clock += 61_000;
    const response = await whoami(token);
    expect(response.status).toBe(200);
    await response.body?.cancel();

    endpointUp = false;
    const before = endpointRequests;
    clock += 61_000;
    const stillValid = await whoami(token);
    expect(stillValid.status).toBe(200); // refresh failed: last good bundle kept
    await stillValid.body?.cancel();
    expect(endpointRequests).toBe(before + 1);
    const again = await whoami(token);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    expect(endpointRequests).toBe(before + 1); // no retry before RETRY_MS
    endpointUp = true;
  });

  test("no bundle yet because the endpoint is unreachable: 503", async () => {
    const down = await serveWeb(() => new Response("x"));
    const url = `https://localhost:${down.port}/bundle`;
    await down.close();
    const handler = createEdgeJwtHandler({ BUNDLE_ENDPOINT_URL: url, TRUST_DOMAIN: TD, AUDIENCE }, { fetch: trusting });
    const { token } = await ca.issueJwtSvid({ id: "spiffe://example.org/billing", audience: AUDIENCE });
    const response = await handler(new Request("http://edge.test/whoami", { headers: { authorization: `Bearer ${token}` } }));
    expect(response.status).toBe(503);
  });
});
