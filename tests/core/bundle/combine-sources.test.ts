// combineSources: the SVID from one source, bundles from several, asked in order; a failing
// or misbehaving source refuses the lookup instead of falling through to the next one.
import { describe, expect, test } from "bun:test";
import { BundleSet, combineSources, ConfigError, JwtBundle, SpiffeBundle, TrustDomain, verifyX509Svid, X509Bundle, X509Svid, X509SvidError } from "../../../mod.ts";
import { resolveJwtBundle } from "../../../src/core/bundle/jwt-bundle-source.ts";
import { resolveX509Bundle } from "../../../src/core/bundle/x509-bundle-source.ts";
import { FakeX509Source } from "../../../src/testing/fake-x509-source.ts";
import { createTestCa } from "../../../src/testing/test-ca.ts";
import { expectInvalidArgument } from "../../support/rejection.ts";

async function ecJwk(kid: string): Promise<JsonWebKey> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["verify", "sign"])) as CryptoKeyPair;
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return { kty, crv, x, y, kid } as JsonWebKey;
}

const mineCa = await createTestCa({ trustDomain: "example.org" });
const partnerCa = await createTestCa({ trustDomain: "partner.example" });
const mineBundle = X509Bundle.fromCertificates("example.org", mineCa.x509Authorities);
const partnerBundle = X509Bundle.fromCertificates("partner.example", partnerCa.x509Authorities);
const partnerJwt = JwtBundle.fromKeys("partner.example", [await ecJwk("p1")]);
const mineJwt = JwtBundle.fromKeys("example.org", [await ecJwk("m1")]);
const td = (name: string) => TrustDomain.parse(name);

async function svidOf(ca: typeof mineCa, id: string): Promise<X509Svid> {
  const issued = await ca.issueX509Svid({ id });
  return X509Svid.parse(issued.certificates, issued.privateKey);
}

function configErrorOption(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.option;
    throw err;
  }
  return "no error";
}

describe("combineSources: bundles", () => {
  test("each trust domain's bundle comes from the first source that has one", () => {
    const other = X509Bundle.fromCertificates("partner.example", mineCa.x509Authorities);
    const combined = combineSources({ bundles: [new BundleSet([mineBundle]), partnerBundle, new BundleSet([other])] });
    expect(resolveX509Bundle(combined, td("example.org"))).toBe(mineBundle);
    expect(resolveX509Bundle(combined, td("partner.example"))).toBe(partnerBundle); // not the later `other`
    expect(combined.getX509BundleForTrustDomain(td("nobody.example"))).toBeUndefined();
  });

  test("X.509 and JWT bundles are looked up separately, also through generic and SpiffeBundle sources", () => {
    const spiffe = SpiffeBundle.fromBundles("partner.example", { x509: partnerBundle, jwt: partnerJwt });
    const combined = combineSources({ bundles: [mineBundle, mineJwt, new BundleSet([spiffe])] });
    expect(resolveJwtBundle(combined, td("example.org"))).toBe(mineJwt);
    expect(resolveX509Bundle(combined, td("example.org"))).toBe(mineBundle);
    // the X509Bundle of example.org answers X.509 lookups only: the JWT lookup goes on to mineJwt
    expect(resolveJwtBundle(combineSources({ bundles: [mineBundle, mineJwt] }), td("example.org"))).toBe(mineJwt);
    expect(resolveX509Bundle(combined, td("partner.example"))).toBe(partnerBundle);
    expect(resolveJwtBundle(combined, td("partner.example"))).toBe(partnerJwt);
  });

  test("verifyX509Svid accepts SVIDs of every combined trust domain and nothing else", async () => {
    const combined = combineSources({ bundles: [new FakeX509Source({ bundles: [mineBundle] }), partnerBundle] });
    const partnerSvid = await svidOf(partnerCa, "spiffe://partner.example/api");
    const mineSvid = await svidOf(mineCa, "spiffe://example.org/web");
    expect((await verifyX509Svid(partnerSvid.certificates, combined)).id.toString()).toBe("spiffe://partner.example/api");
    expect((await verifyX509Svid(mineSvid.certificates, combined)).id.toString()).toBe("spiffe://example.org/web");
    const stranger = await svidOf(await createTestCa({ trustDomain: "stranger.example" }), "spiffe://stranger.example/x");
    const refused = await verifyX509Svid(stranger.certificates, combined).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(X509SvidError);
    expect((refused as X509SvidError).code).toBe("ERR_X509_SVID_NO_BUNDLE");
  });

  test("a source that throws refuses the lookup; later sources are not asked", async () => {
    let laterAsked = false;
    const failing = { getX509BundleForTrustDomain: () => { throw new Error("agent gone"); } };
    const later = { getX509BundleForTrustDomain: () => { laterAsked = true; return partnerBundle; } };
    const combined = combineSources({ bundles: [failing, later] });
    const svid = await svidOf(partnerCa, "spiffe://partner.example/api");
    const refused = await verifyX509Svid(svid.certificates, combined).catch((err: unknown) => err);
    expect((refused as X509SvidError).code).toBe("ERR_X509_SVID_NO_BUNDLE");
    expect(laterAsked).toBe(false);
  });

  test("a source that answers with another trust domain's bundle is refused, not skipped", async () => {
    const lying = { getX509BundleForTrustDomain: () => mineBundle };
    const combined = combineSources({ bundles: [lying, partnerBundle] });
    const svid = await svidOf(partnerCa, "spiffe://partner.example/api");
    const refused = await verifyX509Svid(svid.certificates, combined).catch((err: unknown) => err);
    expect((refused as X509SvidError).code).toBe("ERR_X509_SVID_NO_BUNDLE");
    expect((refused as Error).message).toContain('bundle of "example.org"');
  });

  test("bad options are refused with ConfigError naming the option", () => {
    expect(configErrorOption(() => combineSources({ bundles: [] }))).toBe("bundles");
    expect(configErrorOption(() => combineSources({} as never))).toBe("bundles");
    expect(configErrorOption(() => combineSources({ bundles: [mineBundle, {} as never] }))).toBe("bundles[1]");
    expect(configErrorOption(() => combineSources({ svid: {} as never, bundles: [mineBundle] }))).toBe("svid");
  });

  test("no options object: InvalidArgumentError naming options (not a ConfigError: it is the argument, not one of its members)", async () => {
    expect(await expectInvalidArgument(() => combineSources(null as never), "options")).not.toBeInstanceOf(ConfigError);
  });
});

describe("combineSources: the SVID", () => {
  test("getX509Svid and rotations come from the svid source", async () => {
    const first = await svidOf(mineCa, "spiffe://example.org/web");
    const second = await svidOf(mineCa, "spiffe://example.org/web");
    const mine = new FakeX509Source({ svid: first, bundles: [mineBundle] });
    const combined = combineSources({ svid: mine, bundles: [mine, partnerBundle] });
    expect(combined.getX509Svid()).toBe(first);
    let updates = 0;
    const stop = combined.onUpdate(() => updates++);
    mine.setX509Svid(second);
    expect(combined.getX509Svid()).toBe(second);
    expect(updates).toBe(1);
    stop();
    mine.setX509Svid(first);
    expect(updates).toBe(1);
  });

  test("onUpdate follows every announcing source once: the SVID source and the bundle sources", async () => {
    const mine = new FakeX509Source({ svid: await svidOf(mineCa, "spiffe://example.org/web"), bundles: [mineBundle] });
    const partnerListeners = new Set<() => void>();
    const partners = {
      getX509BundleForTrustDomain: (t: TrustDomain) => (t.name === "partner.example" ? partnerBundle : undefined),
      onUpdate: (listener: () => void) => {
        partnerListeners.add(listener);
        return () => void partnerListeners.delete(listener);
      },
    };
    const combined = combineSources({ svid: mine, bundles: [mine, partners, partnerBundle] });
    let updates = 0;
    const stop = combined.onUpdate(() => updates++);
    mine.setX509Svid(await svidOf(mineCa, "spiffe://example.org/web")); // mine is svid and bundle source: counted once
    partnerListeners.forEach((l) => l());
    expect(updates).toBe(2);
    stop();
    expect(partnerListeners.size).toBe(0);
    mine.setX509Svid(await svidOf(mineCa, "spiffe://example.org/web"));
    expect(updates).toBe(2);
  });

  test("an svid source without onUpdate gives a no-op subscription", async () => {
    const svid = await svidOf(mineCa, "spiffe://example.org/web");
    const combined = combineSources({ svid: { getX509Svid: () => svid }, bundles: [mineBundle] });
    expect(combined.getX509Svid()).toBe(svid);
    expect(typeof combined.onUpdate(() => {})).toBe("function");
  });
});
