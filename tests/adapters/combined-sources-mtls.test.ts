// mTLS across trust domains where the partner's bundle does not come from the Workload API:
// the server's SVID from its own source, the bundles from combineSources (its own source
// first, then a separately obtained partner bundle, as a FederatedBundleSource would give),
// on the runtime's own entry.
import { afterAll, describe, expect, test } from "bun:test";
import { authorizeMemberOf, BundleSet, combineSources, X509Bundle, X509Svid } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createTestCa, type TestCa } from "../../src/testing/test-ca.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";

const { createMtlsClient, serveMtls } = runtimeEntry;

const mineCa = await createTestCa({ trustDomain: "example.org" });
const partnerCa = await createTestCa({ trustDomain: "partner.example" });
const strangerCa = await createTestCa({ trustDomain: "stranger.example" });
const mineBundle = X509Bundle.fromCertificates("example.org", mineCa.x509Authorities);
const partnerBundle = X509Bundle.fromCertificates("partner.example", partnerCa.x509Authorities);
const servers: MtlsServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function svidOf(ca: TestCa, id: string): Promise<X509Svid> {
  const issued = await ca.issueX509Svid({ id });
  return X509Svid.parse(issued.certificates, issued.privateKey);
}

/** A server of example.org whose own source knows only example.org; partner.example comes from a separate bundle set. */
async function startServer(): Promise<MtlsServer> {
  const mine = new FakeX509Source({ svid: await svidOf(mineCa, "spiffe://example.org/api"), bundles: [mineBundle] });
  const server = await serveMtls({
    source: combineSources({ svid: mine, bundles: [mine, new BundleSet([partnerBundle])] }),
    authorizer: authorizeMemberOf("partner.example"),
    port: 0,
    hostname: "127.0.0.1",
    fetch: (_request, { peer }) => new Response(peer.id.toString()),
  });
  servers.push(server);
  return server;
}

describe("combineSources with serveMtls and createMtlsClient", () => {
  test("a partner's client is verified against the partner bundle from the second source", async () => {
    const server = await startServer();
    const partner = new FakeX509Source({ svid: await svidOf(partnerCa, "spiffe://partner.example/client"), bundles: [mineBundle] });
    const client = createMtlsClient({ source: partner, authorizer: authorizeMemberOf("example.org"), timeoutMs: 10_000 });
    try {
      const response = await client.get(new URL("/", server.url));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("spiffe://partner.example/client");
    } finally {
      await client.close();
    }
  });

  test("a client of a trust domain neither source knows is refused", async () => {
    const server = await startServer();
    const stranger = new FakeX509Source({ svid: await svidOf(strangerCa, "spiffe://stranger.example/client"), bundles: [mineBundle] });
    const client = createMtlsClient({ source: stranger, authorizer: authorizeMemberOf("example.org"), timeoutMs: 10_000 });
    try {
      await expect(client.get(new URL("/", server.url))).rejects.toThrow();
    } finally {
      await client.close();
    }
  });

  test("a client can verify a partner server with a combined source too", async () => {
    const partnerServerSource = new FakeX509Source({ svid: await svidOf(partnerCa, "spiffe://partner.example/api"), bundles: [partnerBundle, mineBundle] });
    const server = await serveMtls({ source: partnerServerSource, authorizer: authorizeMemberOf("example.org"), port: 0, hostname: "127.0.0.1", fetch: (_r, { peer }) => new Response(peer.id.toString()) });
    servers.push(server);
    const mine = new FakeX509Source({ svid: await svidOf(mineCa, "spiffe://example.org/web"), bundles: [mineBundle] });
    const client = createMtlsClient({ source: combineSources({ svid: mine, bundles: [mine, partnerBundle] }), authorizer: authorizeMemberOf("partner.example"), timeoutMs: 10_000 });
    try {
      const response = await client.get(new URL("/", server.url));
      expect(await response.text()).toBe("spiffe://example.org/web");
    } finally {
      await client.close();
    }
  });
});
