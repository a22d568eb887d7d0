// SPIFFE federation interoperability with go-spiffe's federation package (tests/interop/go,
// federation.go): go-spiffe's FetchBundle reads our createBundleEndpointHandler, and our
// fetchBundle reads go-spiffe's NewHandler, over both profiles (https_spiffe: the endpoint's
// X.509-SVID; https_web: a Web-PKI test root). Run with `npm run test:interop`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBundleEndpointHandler, FederationError, fetchBundle, SpiffeBundle, X509Svid } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createTestCa, startWorkloadApiServer, type TestCa, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { serveWeb, type WebServer } from "../federation/serve-web.ts";
import { createWebPki, fetchTrusting, type WebPki } from "../federation/web-pki.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { buildGoProgram, goSpiffeVersion, goVersion, type GoProcess, runGo, startGo } from "./go-program.ts";

const TD = "partner.example";
const TS_ENDPOINT = `spiffe://${TD}/ts-bundle-server`;
const GO_ENDPOINT = `spiffe://${TD}/go-bundle-server`;

const go = goVersion();
if (!go) console.log("skip: go-spiffe federation interop tests need Go (`go` not found on PATH)");

(go ? describe : describe.skip)(`go-spiffe ${goSpiffeVersion()} federation interop on ${runtime}`, () => {
  let bin: string;
  let dir: string;
  let ca: TestCa;
  let pki: WebPki;
  let served: SpiffeBundle;
  let agent: WorkloadApiServer;
  let tsSpiffe: MtlsServer;
  let tsWeb: WebServer;
  let goSpiffe: GoProcess;
  let goWeb: GoProcess;
  let goSpiffePort: string;
  let goWebPort: string;

  beforeAll(async () => {
    bin = buildGoProgram()!;
    dir = mkdtempSync(join(tmpdir(), "spiffe-ts-federation-interop-"));
    ca = await createTestCa({ trustDomain: TD, intermediate: true });
    pki = await createWebPki();
    served = SpiffeBundle.fromBundles(TD, { x509: ca.x509Bundle, jwt: ca.jwtBundle, sequenceNumber: 12, refreshHintSeconds: 90 });
    writeFileSync(join(dir, "bundle.pem"), ca.x509Bundle.toPem());
    writeFileSync(join(dir, "web-roots.pem"), pki.caPem);
    writeFileSync(join(dir, "web.pem"), pki.localhost.cert);
    writeFileSync(join(dir, "web.key"), pki.localhost.key);
    const handler = createBundleEndpointHandler({ trustDomain: TD, source: served });
    const issued = await ca.issueX509Svid({ id: TS_ENDPOINT });
    const svid = await X509Svid.parse(issued.certificatesPem, issued.privateKeyPem);
    tsSpiffe = await runtimeEntry.serveMtls({ mode: "tls", hostname: "127.0.0.1", port: 0, source: new FakeX509Source({ svid }), fetch: handler });
    tsWeb = await serveWeb(handler, pki.localhost);
    agent = await startWorkloadApiServer({ socketPath: join(dir, "go.sock"), ca, workloads: [{ id: GO_ENDPOINT }] });
    goSpiffe = startGo(bin, ["bundle-serve", "-trust-domain", TD, "-socket", agent.address], served.toJson());
    goWeb = startGo(bin, ["bundle-serve", "-trust-domain", TD, "-cert", join(dir, "web.pem"), "-key", join(dir, "web.key")], served.toJson());
    goSpiffePort = (await goSpiffe.waitFor(/LISTENING (\d+)/))[1]!;
    goWebPort = (await goWeb.waitFor(/LISTENING (\d+)/))[1]!;
  }, 300_000);

  afterAll(async () => {
    await goSpiffe?.stop();
    await goWeb?.stop();
    await tsSpiffe?.close();
    await tsWeb?.close();
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const parsedFrom = (stdout: string): SpiffeBundle => {
    const line = stdout.split("\n").find((l) => l.startsWith("BUNDLE "));
    if (!line) throw new Error(`go-spiffe printed no bundle: ${stdout}`);
    return SpiffeBundle.parse(TD, line.slice("BUNDLE ".length));
  };

  test("go-spiffe FetchBundle (WithSPIFFEAuth) reads our handler behind serveMtls in mode tls", async () => {
    const r = await runGo(bin, ["bundle-fetch", "-url", tsSpiffe.url.href, "-trust-domain", TD, "-endpoint-id", TS_ENDPOINT, "-bundle", join(dir, "bundle.pem")]);
    expect(r.status).toBe(0);
    expect(parsedFrom(r.stdout).equals(served)).toBe(true);
  });

  test("go-spiffe FetchBundle refuses our endpoint when it expects another SPIFFE ID", async () => {
    const r = await runGo(bin, ["bundle-fetch", "-url", tsSpiffe.url.href, "-trust-domain", TD, "-endpoint-id", `spiffe://${TD}/someone-else`, "-bundle", join(dir, "bundle.pem")]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("ERROR");
  });

  test("go-spiffe FetchBundle (WithWebPKIRoots) reads our handler over https_web", async () => {
    const r = await runGo(bin, ["bundle-fetch", "-url", `${tsWeb.origin}/`, "-trust-domain", TD, "-web-roots", join(dir, "web-roots.pem")]);
    expect(r.status).toBe(0);
    expect(parsedFrom(r.stdout).equals(served)).toBe(true);
  });

  test("our fetchBundle (httpsSpiffe) reads go-spiffe's NewHandler served with its Workload API SVID", async () => {
    const profile = runtimeEntry.httpsSpiffe({ endpointId: GO_ENDPOINT, bundleSource: ca.x509Bundle });
    const bundle = await fetchBundle(`https://127.0.0.1:${goSpiffePort}/`, { trustDomain: TD, profile });
    expect(bundle.equals(served)).toBe(true);
  });

  test("our fetchBundle refuses go-spiffe's endpoint when it expects another SPIFFE ID", async () => {
    const profile = runtimeEntry.httpsSpiffe({ endpointId: TS_ENDPOINT, bundleSource: ca.x509Bundle });
    const err = await fetchBundle(`https://127.0.0.1:${goSpiffePort}/`, { trustDomain: TD, profile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FederationError);
    expect((err as FederationError).code).toBe("ERR_FEDERATION_ENDPOINT_ID_MISMATCH");
  });

  test("our fetchBundle (https_web) reads go-spiffe's NewHandler served with a Web-PKI certificate", async () => {
    const trusting = fetchTrusting(pki.caPem);
    try {
      const bundle = await fetchBundle(`https://localhost:${goWebPort}/`, { trustDomain: TD, profile: "https_web", fetch: trusting });
      expect(bundle.equals(served)).toBe(true);
    } finally {
      trusting.close();
    }
  });
});
