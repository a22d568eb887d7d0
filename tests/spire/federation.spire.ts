// SPIFFE federation with real SPIRE: two servers (example.org and federated.test), each with its
// own agent and socket directory, exchange bundles over their `https_spiffe` bundle endpoints on
// loopback (tests/spire/spire-harness.ts startFederatedSpires). The test process is registered in
// both, with `-federatesWith` the other trust domain. Run with `npm run test:spire`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  authorizeId,
  authorizeMemberOf,
  createBundleEndpointHandler,
  FederationError,
  fetchBundle,
  getSpiffeId,
  JwtSvid,
  SpiffeBundle,
  X509Svid,
} from "../../mod.ts";
import { JwtSource, WorkloadApiClient, X509Source } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createTestCa } from "../../src/testing/mod.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { type Spire, SPIRE_VERSION, spireBinDir, spireServerAsync, startFederatedSpires } from "./spire-harness.ts";

const { createMtlsClient, httpsSpiffe, serveMtls } = runtimeEntry;
const A = "example.org";
const B = "federated.test";
const built = spireBinDir() !== undefined;
if (!built) console.log("skip: SPIRE is not built (run `npm run test:spire`, which builds it with Go)");

const codeOf = (e: unknown): string | undefined => (e as { code?: string } | undefined)?.code;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

(built ? describe : describe.skip)(`SPIRE ${SPIRE_VERSION} federation (${A} ⇄ ${B}) on ${runtime}`, () => {
  let spireA: Spire;
  let spireB: Spire;
  let serverSource: X509Source; // spiffe://example.org/ts-server, from agent A
  let clientSource: X509Source; // spiffe://federated.test/ts-client, from agent B

  beforeAll(async () => {
    // B's bundle endpoint advertises a refresh hint of its own, so A's copy shows where it came from
    [spireA, spireB] = await startFederatedSpires({ trustDomain: A }, { trustDomain: B, refreshHintSeconds: 240 });
    const selectors = [`unix:uid:${process.getuid?.() ?? 0}`, `unix:path:${realpathSync(process.execPath)}`];
    spireA.register([{ spiffeId: `spiffe://${A}/ts-server`, selectors, hint: "server", federatesWith: [`spiffe://${B}`] }]);
    spireB.register([{ spiffeId: `spiffe://${B}/ts-client`, selectors, hint: "client", federatesWith: [`spiffe://${A}`] }]);
    serverSource = await X509Source.create({ address: spireA.address, timeoutMs: 40_000 });
    clientSource = await X509Source.create({ address: spireB.address, timeoutMs: 40_000 });
    // the agents get the federated bundle with their entries' next sync (every few seconds)
    await waitUntil(() => serverSource.getX509BundleForTrustDomain(B) !== undefined && clientSource.getX509BundleForTrustDomain(A) !== undefined, "federated bundles from both agents", 30_000, 200);
  }, 120_000);

  afterAll(async () => {
    await serverSource?.close();
    await clientSource?.close();
    await spireA?.stop();
    await spireB?.stop();
  });

  test("the servers fetched each other's bundle from the bundle endpoint (https_spiffe)", () => {
    // `bundle set` bootstrapped A with B's bundle without a refresh hint of 240 s: only B's
    // bundle endpoint serves that one, so A's copy came over the endpoint
    expect(spireA.server(["bundle", "list", "-format", "spiffe", "-id", `spiffe://${B}`])).toContain('"spiffe_refresh_hint": 240');
    expect(spireB.server(["bundle", "list", "-format", "spiffe", "-id", `spiffe://${A}`])).toContain('"spiffe_refresh_hint": 300');
  });

  test("X509Source on agent A sees B's bundle, the same authorities B's agent serves as its own", () => {
    expect(serverSource.getX509Svid().id.toString()).toBe(`spiffe://${A}/ts-server`);
    expect(clientSource.getX509Svid().id.toString()).toBe(`spiffe://${B}/ts-client`);
    const seenByA = serverSource.getX509BundleForTrustDomain(B)!;
    const ownOfB = clientSource.getX509BundleForTrustDomain(B)!;
    expect(seenByA.authorities.map(hex)).toEqual(ownOfB.authorities.map(hex));
    expect(clientSource.getX509BundleForTrustDomain(A)!.authorities.map(hex)).toEqual(serverSource.getX509BundleForTrustDomain(A)!.authorities.map(hex));
  });

  test("an mTLS server of A and a client of B talk, each verifying the other with the peer's bundle", async () => {
    const seen: string[] = [];
    const server = await serveMtls({
      source: serverSource,
      authorizer: authorizeId(`spiffe://${B}/ts-client`),
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        seen.push(String(getSpiffeId(request)));
        return new Response(`hello ${getSpiffeId(request)}`);
      },
    });
    const client = createMtlsClient({ source: clientSource, authorizer: authorizeMemberOf(A) });
    try {
      const response = await client.get(`https://127.0.0.1:${server.port}/`);
      expect(await response.text()).toBe(`hello spiffe://${B}/ts-client`);
      expect(getSpiffeId(response)?.toString()).toBe(`spiffe://${A}/ts-server`);
      expect(seen).toEqual([`spiffe://${B}/ts-client`]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("a client of B is refused by a server whose authorizer allows only A", async () => {
    const seen: string[] = [];
    const server = await serveMtls({
      source: serverSource,
      authorizer: authorizeMemberOf(A),
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        seen.push(String(getSpiffeId(request)));
        return new Response("should not happen");
      },
    });
    const client = createMtlsClient({ source: clientSource, authorizer: authorizeMemberOf(A), timeoutMs: 5_000 });
    const picky = createMtlsClient({ source: clientSource, authorizer: authorizeMemberOf(B) });
    try {
      expect(await client.get(`https://127.0.0.1:${server.port}/`).then(() => undefined, (e: unknown) => e)).toBeInstanceOf(Error);
      // and the client side: a client that allows only B refuses A's server
      expect(codeOf(await picky.get(`https://127.0.0.1:${server.port}/`).then(() => undefined, (e: unknown) => e))).toBe("ERR_AUTHZ_TRUST_DOMAIN");
      expect(seen).toEqual([]);
    } finally {
      await Promise.all([client.close(), picky.close()]);
      await server.close();
    }
  });

  test("a JWT-SVID of B validates on A with JwtSource's federated JWT bundle and A's ValidateJWTSVID", async () => {
    await using jwtB = await JwtSource.create({ address: spireB.address, timeoutMs: 20_000 });
    const svid = await jwtB.fetchJwtSvid({ audience: "fed-test" });
    expect(svid.id.toString()).toBe(`spiffe://${B}/ts-client`);
    await using jwtA = await JwtSource.create({ address: spireA.address, timeoutMs: 20_000 });
    expect(jwtA.getJwtBundleForTrustDomain(B)).toBeDefined(); // SPIRE delivers federated JWT bundles too
    const local = await JwtSvid.parseAndValidate(svid.token, jwtA, "fed-test");
    expect(local.id.toString()).toBe(`spiffe://${B}/ts-client`);
    expect(codeOf(await JwtSvid.parseAndValidate(svid.token, jwtA, "other").then(() => undefined, (e: unknown) => e))).toBe("ERR_JWT_SVID_AUDIENCE_MISMATCH");
    await using clientA = new WorkloadApiClient({ address: spireA.address });
    expect((await clientA.validateJwtSvid(svid.token, "fed-test", { timeoutMs: 10_000 })).id.toString()).toBe(`spiffe://${B}/ts-client`);
  });

  test("our fetchBundle (httpsSpiffe) reads SPIRE's https_spiffe bundle endpoint, bootstrapped with the bundle SPIRE shows", async () => {
    const bootstrap = SpiffeBundle.parse(A, spireA.server(["bundle", "show", "-format", "spiffe"]));
    const url = `https://127.0.0.1:${spireA.bundleEndpointPort}`;
    const bundle = await fetchBundle(url, { trustDomain: A, profile: httpsSpiffe({ endpointId: `spiffe://${A}/spire/server`, bundleSource: bootstrap }) });
    expect(bundle.x509Authorities.map(hex)).toEqual(serverSource.getX509BundleForTrustDomain(A)!.authorities.map(hex));
    expect(bundle.jwtBundle.equals(bootstrap.jwtBundle)).toBe(true);
    expect(bundle.jwtBundle.keys.length).toBeGreaterThan(0);
    expect(bundle.refreshHintSeconds).toBe(300);
    // SPIRE's server SVID is spiffe://<td>/spire/server: any other expected ID is refused.
    const err = await fetchBundle(url, { trustDomain: A, profile: httpsSpiffe({ endpointId: `spiffe://${A}/not-spire`, bundleSource: bootstrap }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FederationError);
    expect((err as FederationError).code).toBe("ERR_FEDERATION_ENDPOINT_ID_MISMATCH");
  });

  test("SPIRE federates with our bundle endpoint (createBundleEndpointHandler behind serveMtls in mode tls)", async () => {
    const ours = await createTestCa({ trustDomain: "ours.test" });
    const issued = await ours.issueX509Svid({ id: "spiffe://ours.test/bundle-server" });
    const served = SpiffeBundle.fromBundles("ours.test", { x509: ours.x509Bundle, jwt: ours.jwtBundle, sequenceNumber: 3, refreshHintSeconds: 123 });
    const server = await serveMtls({
      mode: "tls",
      hostname: "127.0.0.1",
      port: 0,
      source: new FakeX509Source({ svid: await X509Svid.parse(issued.certificatesPem, issued.privateKeyPem) }),
      fetch: createBundleEndpointHandler({ trustDomain: "ours.test", source: served }),
    });
    const dir = mkdtempSync(join(tmpdir(), "spiffe-ts-spire-ours-"));
    try {
      writeFileSync(join(dir, "ours.json"), SpiffeBundle.fromBundles("ours.test", { x509: ours.x509Bundle }).toJson());
      spireB.server(["federation", "create", "-trustDomain", "ours.test", "-bundleEndpointURL", server.url.href, "-bundleEndpointProfile", "https_spiffe", "-endpointSpiffeID", "spiffe://ours.test/bundle-server", "-trustDomainBundlePath", join(dir, "ours.json"), "-trustDomainBundleFormat", "spiffe"]);
      // Not spireB.server(): that blocks this process, whose server SPIRE is about to call.
      expect(await spireServerAsync(spireB, ["federation", "refresh", "-id", "spiffe://ours.test"])).toMatchObject({ status: 0 });
      const listed = spireB.server(["bundle", "list", "-format", "spiffe", "-id", "spiffe://ours.test"]);
      const seen = SpiffeBundle.parse("ours.test", listed.slice(listed.indexOf("{")));
      expect(seen.x509Bundle.equals(ours.x509Bundle)).toBe(true);
      expect(seen.jwtBundle.equals(ours.jwtBundle)).toBe(true); // only our endpoint served the JWT keys
      expect(seen.refreshHintSeconds).toBe(123);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
