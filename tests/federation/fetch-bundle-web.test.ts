// fetchBundle with the https_web profile, against bundle endpoints served over real HTTPS by
// the runtime's own server (Bun.serve, Deno.serve, node:https), with a Web-PKI test root that
// only the test's `fetch` trusts (see web-pki.ts). Every refusal has its code.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  BundleError,
  createBundleEndpointHandler,
  FederationError,
  fetchBundle,
  JwtSvid,
  SpiffeBundle,
  verifyX509Svid,
} from "../../mod.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { serveWeb, type WebServer } from "./serve-web.ts";
import { createWebPki, fetchTrusting, type WebPki } from "./web-pki.ts";

const TD = "partner.example";
let pki: WebPki;
let partner: TestCa;
let stranger: TestCa;
let server: WebServer;
let untrustedServer: WebServer;
let trusting: ReturnType<typeof fetchTrusting>;
let releaseSlow: () => void = () => {};
const slow = new Promise<void>((resolve) => (releaseSlow = resolve));

const bundleOf = (ca: TestCa, sequenceNumber = 7): SpiffeBundle => SpiffeBundle.fromBundles(ca.trustDomain, { x509: ca.x509Bundle, jwt: ca.jwtBundle, sequenceNumber, refreshHintSeconds: 60 });

beforeAll(async () => {
  pki = await createWebPki();
  partner = await createTestCa({ trustDomain: TD, intermediate: true });
  stranger = await createTestCa({ trustDomain: "stranger.example" });
  const endpoint = createBundleEndpointHandler({ trustDomain: TD, source: bundleOf(partner) });
  const strangerJson = bundleOf(stranger).toJson();
  server = await serveWeb(async (request) => {
    const path = new URL(request.url).pathname;
    switch (path) {
      case "/bundle":
        return endpoint(request);
      case "/other-trust-domain":
        return new Response(strangerJson, { headers: { "content-type": "application/json" } });
      case "/malformed":
        return new Response("{\"keys\": [", { headers: { "content-type": "application/json" } });
      case "/not-a-jwks":
        return new Response("{\"spiffe_sequence\": 1}", { headers: { "content-type": "application/json" } });
      case "/large":
        return new Response(JSON.stringify({ keys: [], padding: "x".repeat(4096) }), { headers: { "content-type": "application/json" } });
      case "/large-chunked":
        return new Response(
          new ReadableStream({
            start(controller) {
              for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
              controller.enqueue(new TextEncoder().encode("{\"keys\": []}"));
              controller.close();
            },
          }),
          { headers: { "content-type": "application/json" } },
        );
      case "/slow":
        await slow;
        return endpoint(request);
      case "/redirect-ok":
        return new Response(null, { status: 302, headers: { location: "/bundle" } });
      case "/redirect-http":
        return new Response(null, { status: 302, headers: { location: `http://127.0.0.1:${server.port}/bundle` } });
      default:
        return new Response("not found", { status: 404 });
    }
  }, pki.localhost);
  untrustedServer = await serveWeb(endpoint, pki.untrusted);
  trusting = fetchTrusting(pki.caPem);
});

afterAll(async () => {
  releaseSlow();
  trusting.close();
  await server.close();
  await untrustedServer.close();
});

async function failure(promise: Promise<unknown>): Promise<FederationError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FederationError);
    return err as FederationError;
  }
  throw new Error("expected a FederationError, but the call succeeded");
}

const web = (extra: Record<string, unknown> = {}) => ({ trustDomain: TD, profile: "https_web" as const, fetch: trusting, timeoutMs: 5000, ...extra });

describe("fetchBundle, https_web", () => {
  test("reads the handler's bundle over HTTPS; the bundle verifies the partner's X.509-SVIDs and JWT-SVIDs", async () => {
    const bundle = await fetchBundle(`${server.origin}/bundle`, web());
    expect(bundle.trustDomain.name).toBe(TD);
    expect(bundle.equals(bundleOf(partner))).toBe(true);
    expect(bundle.sequenceNumber).toBe(7);
    expect(bundle.refreshHintSeconds).toBe(60);
    const svid = await partner.issueX509Svid({ id: `spiffe://${TD}/billing` });
    expect((await verifyX509Svid(svid.certificates, bundle)).id.toString()).toBe(`spiffe://${TD}/billing`);
    const jwt = await partner.issueJwtSvid({ id: `spiffe://${TD}/billing`, audience: "api" });
    expect((await JwtSvid.parseAndValidate(jwt.token, bundle, "api")).id.toString()).toBe(`spiffe://${TD}/billing`);
  });

  test("follows a redirect to another https: endpoint URL", async () => {
    const bundle = await fetchBundle(`${server.origin}/redirect-ok`, web());
    expect(bundle.equals(bundleOf(partner))).toBe(true);
  });

  test("refuses a redirect to http:", async () => {
    const err = await failure(fetchBundle(`${server.origin}/redirect-http`, web()));
    // Bun and Node follow and we refuse the final URL; a runtime may also refuse the downgrade itself.
    expect(["ERR_FEDERATION_ENDPOINT_URL", "ERR_FEDERATION_UNREACHABLE"]).toContain(err.code);
  });

  test("a server certificate from a root the fetch does not trust: ERR_FEDERATION_UNREACHABLE", async () => {
    const err = await failure(fetchBundle(`${untrustedServer.origin}/`, web()));
    expect(err.code).toBe("ERR_FEDERATION_UNREACHABLE");
  });

  test("without the fetch option, the runtime's public roots decide: the test root is not trusted, and nothing falls back to SPIFFE bundles", async () => {
    const err = await failure(fetchBundle(`${server.origin}/bundle`, { trustDomain: TD, profile: "https_web", timeoutMs: 5000 }));
    expect(err.code).toBe("ERR_FEDERATION_UNREACHABLE");
  });

  test("an HTTP error status: ERR_FEDERATION_HTTP_STATUS with the status", async () => {
    const err = await failure(fetchBundle(`${server.origin}/missing`, web()));
    expect(err.code).toBe("ERR_FEDERATION_HTTP_STATUS");
    expect(err.status).toBe(404);
    expect(err.url).toBe(`${server.origin}/missing`);
  });

  test("malformed documents: ERR_FEDERATION_INVALID_BUNDLE with the BundleError as cause", async () => {
    for (const [path, code] of [["/malformed", "ERR_BUNDLE_JSON"], ["/not-a-jwks", "ERR_BUNDLE_JWKS"]] as const) {
      const err = await failure(fetchBundle(`${server.origin}${path}`, web()));
      expect(err.code).toBe("ERR_FEDERATION_INVALID_BUNDLE");
      expect(err.cause).toBeInstanceOf(BundleError);
      expect((err.cause as BundleError).code).toBe(code);
    }
  });

  test("oversize documents (declared length or streamed): ERR_FEDERATION_TOO_LARGE", async () => {
    for (const path of ["/large", "/large-chunked"]) {
      const err = await failure(fetchBundle(`${server.origin}${path}`, web({ maxBytes: 2048 })));
      expect(err.code).toBe("ERR_FEDERATION_TOO_LARGE");
    }
    // Under the limit, the same chunked document is fine.
    expect((await fetchBundle(`${server.origin}/large-chunked`, web({ maxBytes: 16_384 }))).x509Authorities).toEqual([]);
  });

  test("a bundle whose authorities are another trust domain's CAs: ERR_FEDERATION_TRUST_DOMAIN_MISMATCH", async () => {
    const err = await failure(fetchBundle(`${server.origin}/other-trust-domain`, web()));
    expect(err.code).toBe("ERR_FEDERATION_TRUST_DOMAIN_MISMATCH");
    expect(err.message).toContain("stranger.example");
  });

  test("no answer in time: ERR_FEDERATION_TIMEOUT; the caller's abort: its reason", async () => {
    const err = await failure(fetchBundle(`${server.origin}/slow`, web({ timeoutMs: 300 })));
    expect(err.code).toBe("ERR_FEDERATION_TIMEOUT");
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    setTimeout(() => controller.abort(reason), 50);
    await expect(fetchBundle(`${server.origin}/slow`, web({ signal: controller.signal }))).rejects.toBe(reason);
  });

  test("endpoint down: ERR_FEDERATION_UNREACHABLE", async () => {
    const down = await serveWeb(() => new Response("x"), pki.localhost);
    const url = `${down.origin}/bundle`;
    await down.close();
    const err = await failure(fetchBundle(url, web()));
    expect(err.code).toBe("ERR_FEDERATION_UNREACHABLE");
  });

  test("invalid endpoint parameters are refused before any request", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [`http://127.0.0.1:${server.port}/bundle`, web(), "ERR_FEDERATION_ENDPOINT_URL"],
      [`https://user:secret@localhost:${server.port}/bundle`, web(), "ERR_FEDERATION_ENDPOINT_URL"],
      ["not a url", web(), "ERR_FEDERATION_ENDPOINT_URL"],
    ];
    for (const [url, options, code] of cases) {
      const err = await failure(fetchBundle(url, options as never));
      expect(`${url} ${err.code}`).toBe(`${url} ${code}`);
      expect(err.message).not.toContain("secret");
    }
    const badOptions: [Record<string, unknown>, string][] = [
      [web({ trustDomain: undefined }), "options.trustDomain"],
      [web({ trustDomain: "Not A TD" }), "options.trustDomain"],
      [web({ profile: undefined }), "options.profile"],
      [web({ profile: "https_spiffe" }), "options.profile"],
      [web({ maxBytes: 0 }), "options.maxBytes"],
      [web({ maxBytes: 64 * 1024 * 1024 }), "options.maxBytes"],
      [web({ timeoutMs: -1 }), "options.timeoutMs"],
      [web({ fetch: "fetch" }), "options.fetch"],
    ];
    for (const [options, argument] of badOptions) {
      await expectInvalidArgument(fetchBundle(`${server.origin}/bundle`, options as never), argument);
    }
    await expectInvalidArgument(fetchBundle(`${server.origin}/bundle`, null as never), "options");
    const spiffeString = await expectInvalidArgument(fetchBundle(`${server.origin}/bundle`, web({ profile: "https_spiffe" }) as never), "options.profile");
    expect(spiffeString.message).toContain("httpsSpiffe");
  });
});
