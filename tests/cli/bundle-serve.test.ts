// spiffe-ts bundle serve: a SPIFFE bundle endpoint from the Workload API's bundles, read back
// with fetchBundle over both profiles, on the test's runtime.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FederationError, fetchBundle } from "../../mod.ts";
import { createTestCa, startWorkloadApiServer, type TestCa, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { createWebPki, fetchTrusting } from "../federation/web-pki.ts";
import { runCli, startCli } from "./cli-process.ts";

const WORKLOAD = "spiffe://example.org/bundle-server";
let dir = "";
let ca: TestCa;
let agent: WorkloadApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-bundle-serve-"));
  ca = await createTestCa({ trustDomain: "example.org" });
  agent = await startWorkloadApiServer({ socketPath: join(dir, "agent.sock"), ca, workloads: [{ id: WORKLOAD }] });
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("spiffe-ts bundle serve", () => {
  test("https_spiffe: presents the workload's SVID; fetchBundle with httpsSpiffe reads the trust domain's X.509 and JWT authorities", async () => {
    const cli = startCli(["bundle", "serve", "--listen", "127.0.0.1:0", "--json", "--refresh-hint", "90s"], { SPIFFE_ENDPOINT_SOCKET: agent.address });
    try {
      const ready = JSON.parse((await cli.waitFor(/\{"event":"ready".*\}\n/))[0]);
      expect(ready).toMatchObject({ trustDomain: "example.org", profile: "https_spiffe", endpointId: WORKLOAD });
      const profile = runtimeEntry.httpsSpiffe({ endpointId: WORKLOAD, bundleSource: ca.x509Bundle });
      const bundle = await fetchBundle(ready.url, { trustDomain: "example.org", profile });
      expect(bundle.x509Bundle.equals(ca.x509Bundle)).toBe(true);
      expect(bundle.jwtBundle.equals(ca.jwtBundle)).toBe(true);
      expect(bundle.refreshHintSeconds).toBe(90);
      // Another expected ID is refused: the endpoint is authenticated, not just encrypted.
      const wrong = runtimeEntry.httpsSpiffe({ endpointId: "spiffe://example.org/other", bundleSource: ca.x509Bundle });
      await expect(fetchBundle(ready.url, { trustDomain: "example.org", profile: wrong })).rejects.toMatchObject({ code: "ERR_FEDERATION_ENDPOINT_ID_MISMATCH" });
    } finally {
      await cli.stop();
    }
  });

  test("https_web: serves with the Web-PKI certificate from --cert/--key, only at --path", async () => {
    const pki = await createWebPki();
    writeFileSync(join(dir, "web.pem"), pki.localhost.cert);
    writeFileSync(join(dir, "web.key"), pki.localhost.key, { mode: 0o600 });
    const cli = startCli(["bundle", "serve", "--listen", "127.0.0.1:0", "--json", "--profile", "https_web", "--cert", join(dir, "web.pem"), "--key", join(dir, "web.key"), "--trust-domain", "example.org", "--path", "/bundle.json"], { SPIFFE_ENDPOINT_SOCKET: agent.address });
    const trusting = fetchTrusting(pki.caPem);
    try {
      const ready = JSON.parse((await cli.waitFor(/\{"event":"ready".*\}\n/))[0]);
      expect(ready).toMatchObject({ trustDomain: "example.org", profile: "https_web", endpointId: null });
      const url = new URL(ready.url);
      expect(url.pathname).toBe("/bundle.json");
      url.hostname = "localhost";
      const bundle = await fetchBundle(url, { trustDomain: "example.org", profile: "https_web", fetch: trusting });
      expect(bundle.x509Bundle.equals(ca.x509Bundle)).toBe(true);
      url.pathname = "/other";
      const err = await fetchBundle(url, { trustDomain: "example.org", profile: "https_web", fetch: trusting }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FederationError);
      expect((err as FederationError).status).toBe(404);
    } finally {
      trusting.close();
      await cli.stop();
    }
  });

  test("bad flags: exit 2", async () => {
    const env = { SPIFFE_ENDPOINT_SOCKET: agent.address };
    for (const args of [
      ["bundle", "serve"],
      ["bundle", "serve", "--listen", "127.0.0.1:0", "--profile", "http"],
      ["bundle", "serve", "--listen", "127.0.0.1:0", "--profile", "https_web", "--trust-domain", "example.org"],
      ["bundle", "serve", "--listen", "127.0.0.1:0", "--cert", "a", "--key", "b"],
    ]) {
      const result = await runCli(args, env);
      expect(`${args.join(" ")} → ${result.status}`).toBe(`${args.join(" ")} → 2`);
    }
  });
});
