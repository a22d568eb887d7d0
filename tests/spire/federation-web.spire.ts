// SPIFFE federation over the https_web profile with real SPIRE: a SPIRE server whose bundle
// endpoint presents a Web-PKI certificate (`serving_cert_file`) from a test root, read by our
// fetchBundle; and the same SPIRE server federating with our bundle endpoint handler over
// https_web. Only the SPIRE server process trusts the test root (SSL_CERT_FILE in its
// environment); our fetch trusts it per request (fetchBundle's `fetch` option, web-pki.ts).
// Run with `npm run test:spire`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBundleEndpointHandler, fetchBundle, SpiffeBundle } from "../../mod.ts";
import { createTestCa } from "../../src/testing/mod.ts";
import { serveWeb } from "../federation/serve-web.ts";
import { createWebPki, fetchTrusting, type WebPki } from "../federation/web-pki.ts";
import { runtime } from "../support/runtime-entry.ts";
import { freePort, type Spire, SPIRE_VERSION, spireBinDir, spireServerAsync, startSpire } from "./spire-harness.ts";

const TD = "web.example";
const built = spireBinDir() !== undefined;
if (!built) console.log("skip: SPIRE is not built (run `npm run test:spire`, which builds it with Go)");

(built ? describe : describe.skip)(`SPIRE ${SPIRE_VERSION} federation over https_web on ${runtime}`, () => {
  let spire: Spire;
  let pki: WebPki;
  let dir: string;
  let port: number;

  beforeAll(async () => {
    pki = await createWebPki();
    dir = mkdtempSync(join(tmpdir(), "spiffe-ts-spire-web-"));
    writeFileSync(join(dir, "endpoint.crt"), pki.localhost.cert);
    writeFileSync(join(dir, "endpoint.key"), pki.localhost.key, { mode: 0o600 });
    writeFileSync(join(dir, "roots.pem"), pki.caPem);
    port = await freePort();
    spire = await startSpire({
      trustDomain: TD,
      federation: { bundleEndpointPort: port, refreshHintSeconds: 75, federatesWith: [], webCertificate: { certFile: join(dir, "endpoint.crt"), keyFile: join(dir, "endpoint.key") } },
      serverEnv: { SSL_CERT_FILE: join(dir, "roots.pem") },
    });
  }, 120_000);

  afterAll(async () => {
    await spire?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("our fetchBundle (https_web) reads SPIRE's bundle endpoint: the bundle SPIRE shows", async () => {
    const trusting = fetchTrusting(pki.caPem);
    try {
      const bundle = await fetchBundle(`https://localhost:${port}`, { trustDomain: TD, profile: "https_web", fetch: trusting });
      const shown = SpiffeBundle.parse(TD, spire.server(["bundle", "show", "-format", "spiffe"]));
      expect(bundle.x509Bundle.equals(shown.x509Bundle)).toBe(true);
      expect(bundle.jwtBundle.equals(shown.jwtBundle)).toBe(true);
      expect(bundle.refreshHintSeconds).toBe(75);
      // Without the test root, the runtime's public roots refuse SPIRE's certificate.
      await expect(fetchBundle(`https://localhost:${port}`, { trustDomain: TD, profile: "https_web", timeoutMs: 5000 })).rejects.toMatchObject({ code: "ERR_FEDERATION_UNREACHABLE" });
    } finally {
      trusting.close();
    }
  });

  test("SPIRE federates with our bundle endpoint handler over https_web", async () => {
    const ours = await createTestCa({ trustDomain: "ours-web.test" });
    const served = SpiffeBundle.fromBundles("ours-web.test", { x509: ours.x509Bundle, jwt: ours.jwtBundle, sequenceNumber: 8, refreshHintSeconds: 45 });
    const server = await serveWeb(createBundleEndpointHandler({ trustDomain: "ours-web.test", source: served }), pki.localhost);
    try {
      spire.server(["federation", "create", "-trustDomain", "ours-web.test", "-bundleEndpointURL", `${server.origin}/bundle`, "-bundleEndpointProfile", "https_web"]);
      const refreshed = await spireServerAsync(spire, ["federation", "refresh", "-id", "spiffe://ours-web.test"]);
      expect(refreshed).toMatchObject({ status: 0 });
      const listed = spire.server(["bundle", "list", "-format", "spiffe", "-id", "spiffe://ours-web.test"]);
      const seen = SpiffeBundle.parse("ours-web.test", listed.slice(listed.indexOf("{")));
      expect(seen.x509Bundle.equals(ours.x509Bundle)).toBe(true);
      expect(seen.jwtBundle.equals(ours.jwtBundle)).toBe(true);
      expect(seen.refreshHintSeconds).toBe(45);
    } finally {
      await server.close();
    }
  });
});
