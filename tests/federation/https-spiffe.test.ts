// The https_spiffe profile end to end: serveMtls in mode "tls" (the endpoint presents its
// X.509-SVID, callers present nothing) serving createBundleEndpointHandler, read by fetchBundle
// and watchBundle with the runtime entry's httpsSpiffe. The endpoint's ID must be exactly the
// configured one; its SVID must verify against the bundle held; a self-serving endpoint is
// checked with the latest bundle it served.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, createBundleEndpointHandler, FederationError, fetchBundle, SpiffeBundle, watchBundle, X509Bundle, X509Svid } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { ManualTimers } from "./memory-endpoint.ts";

const { serveMtls, httpsSpiffe } = runtimeEntry;
const TD = "partner.example";
const ENDPOINT_ID = `spiffe://${TD}/bundle-server`;
const OTHER_ID = `spiffe://${TD}/impostor`;

let partner: TestCa;
let hub: TestCa;
let endpointSource: FakeX509Source;
let endpoint: MtlsServer;
let impostor: MtlsServer;
let hubEndpoint: MtlsServer;

const partnerBundle = (): SpiffeBundle => SpiffeBundle.fromBundles(TD, { x509: partner.x509Bundle, jwt: partner.jwtBundle });

async function svidOf(ca: TestCa, id: string): Promise<X509Svid> {
  const issued = await ca.issueX509Svid({ id });
  return X509Svid.parse(issued.certificatesPem, issued.privateKeyPem);
}

beforeAll(async () => {
  partner = await createTestCa({ trustDomain: TD, intermediate: true });
  hub = await createTestCa({ trustDomain: "hub.example" });
  const handler = createBundleEndpointHandler({ trustDomain: TD, source: { getForTrustDomain: () => partnerBundle() } });
  endpointSource = new FakeX509Source({ svid: await svidOf(partner, ENDPOINT_ID), bundles: [partner.x509Bundle] });
  impostor = await serveMtls({ mode: "tls", hostname: "127.0.0.1", port: 0, source: new FakeX509Source({ svid: await svidOf(partner, OTHER_ID) }), fetch: handler });
  endpoint = await serveMtls({
    mode: "tls",
    hostname: "127.0.0.1",
    port: 0,
    source: endpointSource,
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/moved") return new Response(null, { status: 307, headers: { location: "/bundle" } });
      if (path === "/moved-to-impostor") return new Response(null, { status: 302, headers: { location: new URL("/bundle", impostor.url).href } });
      return handler(request);
    },
  });
  // Not self-serving: an endpoint of hub.example serves partner.example's bundle.
  hubEndpoint = await serveMtls({ mode: "tls", hostname: "127.0.0.1", port: 0, source: new FakeX509Source({ svid: await svidOf(hub, "spiffe://hub.example/bundles") }), fetch: handler });
});

afterAll(async () => {
  await Promise.all([endpoint?.close(), impostor?.close(), hubEndpoint?.close()]);
});

async function failure(promise: Promise<unknown>): Promise<FederationError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FederationError);
    return err as FederationError;
  }
  throw new Error("expected a FederationError");
}

const spiffe = (endpointId: string, bundleSource: X509Bundle | SpiffeBundle = partner.x509Bundle) => ({ trustDomain: TD, profile: httpsSpiffe({ endpointId, bundleSource }), timeoutMs: 5000 });

describe("fetchBundle, https_spiffe (serveMtls in mode tls + httpsSpiffe)", () => {
  test("reads the bundle from an endpoint that presents the expected SPIFFE ID", async () => {
    const bundle = await fetchBundle(new URL("/bundle", endpoint.url), spiffe(ENDPOINT_ID));
    expect(bundle.x509Bundle.equals(partner.x509Bundle)).toBe(true);
    expect(bundle.jwtBundle.equals(partner.jwtBundle)).toBe(true);
    expect(bundle.sequenceNumber).toBeGreaterThan(0);
  });

  test("an endpoint presenting another SPIFFE ID of the same trust domain: ERR_FEDERATION_ENDPOINT_ID_MISMATCH", async () => {
    const err = await failure(fetchBundle(new URL("/bundle", impostor.url), spiffe(ENDPOINT_ID)));
    expect(err.code).toBe("ERR_FEDERATION_ENDPOINT_ID_MISMATCH");
    expect(err.message).toContain(OTHER_ID);
    const wrongExpectation = await failure(fetchBundle(new URL("/bundle", endpoint.url), spiffe(OTHER_ID)));
    expect(wrongExpectation.code).toBe("ERR_FEDERATION_ENDPOINT_ID_MISMATCH");
  });

  test("an endpoint whose SVID the held bundle does not trust: ERR_FEDERATION_ENDPOINT_UNTRUSTED", async () => {
    const stranger = await createTestCa({ trustDomain: TD }); // also calls itself partner.example
    const err = await failure(fetchBundle(new URL("/bundle", endpoint.url), spiffe(ENDPOINT_ID, stranger.x509Bundle)));
    expect(err.code).toBe("ERR_FEDERATION_ENDPOINT_UNTRUSTED");
    const noBundle = await failure(fetchBundle(new URL("/bundle", endpoint.url), spiffe(ENDPOINT_ID, hub.x509Bundle)));
    expect(noBundle.code).toBe("ERR_FEDERATION_ENDPOINT_UNTRUSTED");
  });

  test("a non-self-serving endpoint (hub.example serving partner.example) is authenticated with its own trust domain's bundle", async () => {
    const bundle = await fetchBundle(new URL("/bundle", hubEndpoint.url), { trustDomain: TD, profile: httpsSpiffe({ endpointId: "spiffe://hub.example/bundles", bundleSource: hub.x509Bundle }) });
    expect(bundle.x509Bundle.equals(partner.x509Bundle)).toBe(true);
  });

  test("redirects: followed to a server with the same ID, refused to one with another ID", async () => {
    expect((await fetchBundle(new URL("/moved", endpoint.url), spiffe(ENDPOINT_ID))).x509Bundle.equals(partner.x509Bundle)).toBe(true);
    const err = await failure(fetchBundle(new URL("/moved-to-impostor", endpoint.url), spiffe(ENDPOINT_ID)));
    expect(err.code).toBe("ERR_FEDERATION_ENDPOINT_ID_MISMATCH");
  });

  test("httpsSpiffe refuses a missing endpoint ID or bundle source with a ConfigError naming the option", async () => {
    const cases: Array<[unknown, string]> = [
      [{ bundleSource: partner.x509Bundle }, "endpointId"],
      [{ endpointId: "not-an-id", bundleSource: partner.x509Bundle }, "endpointId"],
      [{ endpointId: ENDPOINT_ID }, "bundleSource"],
      [{ endpointId: ENDPOINT_ID, bundleSource: {} }, "bundleSource"],
    ];
    for (const [options, option] of cases) {
      await expectInvalidArgument(() => httpsSpiffe(options as never), option, ConfigError);
    }
    expect(await expectInvalidArgument(() => httpsSpiffe(undefined as never), "options")).not.toBeInstanceOf(ConfigError); // the argument, not a member of it
  });

  test("watchBundle on a self-serving endpoint verifies each connection with the latest bundle it served (the bootstrap bundle alone goes stale)", async () => {
    const bootstrap = partner.x509Bundle;
    const timers = new ManualTimers();
    const errors: string[] = [];
    using watch = watchBundle(new URL("/bundle", endpoint.url), { ...spiffe(ENDPOINT_ID, bootstrap), timers, onError: (e) => errors.push(e.code) });
    await watch.ready;
    await timers.scheduled(1);
    // The partner adds a new root (the old one stays), then retires the old root and
    // reissues the endpoint's SVID from the new one.
    await partner.rotateX509Authority();
    timers.fire();
    await timers.scheduled(2);
    expect(watch.bundle?.x509Authorities.length).toBe(2);
    partner.dropPreviousX509Authorities();
    endpointSource.setX509Svid(await svidOf(partner, ENDPOINT_ID));
    timers.fire();
    await timers.scheduled(3);
    expect(errors).toEqual([]);
    expect(watch.bundle?.x509Authorities.length).toBe(1);
    expect(watch.bundle?.x509Bundle.equals(partner.x509Bundle)).toBe(true);
    // The operator's bootstrap bundle no longer authenticates the endpoint.
    const stale = await failure(fetchBundle(new URL("/bundle", endpoint.url), spiffe(ENDPOINT_ID, bootstrap)));
    expect(stale.code).toBe("ERR_FEDERATION_ENDPOINT_UNTRUSTED");
  });
});
