import { describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../support/rejection.ts";
import { BundleError, type BundleErrorCode, BundleSet, JwtBundle, SpiffeBundle, TrustDomain, X509Bundle } from "../../../mod.ts";
import { resolveJwtBundle } from "../../../src/core/bundle/jwt-bundle-source.ts";
import { resolveX509Bundle } from "../../../src/core/bundle/x509-bundle-source.ts";
import { createCa } from "../../support/test-pki.ts";

function codeOf(fn: () => unknown): BundleErrorCode | "no error" | "not a BundleError" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof BundleError ? err.code : "not a BundleError";
  }
}

async function ecJwk(kid: string): Promise<JsonWebKey> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["verify", "sign"])) as CryptoKeyPair;
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return { kty, crv, x, y, kid } as JsonWebKey;
}

const caA = await createCa({ trustDomain: "a.example" });
const caB = await createCa({ trustDomain: "b.example" });
const caA2 = await createCa({ trustDomain: "a.example" });
const x509A = X509Bundle.fromCertificates("a.example", [caA.der]);
const x509B = X509Bundle.fromCertificates("b.example", [caB.der]);
const jwtA = JwtBundle.fromKeys("a.example", [await ecJwk("ka")]);
const jwtB = JwtBundle.fromKeys("b.example", [await ecJwk("kb")]);
const spiffeA = SpiffeBundle.fromBundles("a.example", { x509: x509A, jwt: jwtA, sequenceNumber: 1 });
const spiffeB = SpiffeBundle.fromBundles("b.example", { x509: x509B, jwt: jwtB });
const tdA = TrustDomain.parse("a.example");
const tdB = TrustDomain.parse("b.example");

describe("BundleSet of X.509 bundles", () => {
  const set = new BundleSet([x509A, x509B]);

  test("finds each trust domain's own bundle, by TrustDomain or name", () => {
    expect(set.size).toBe(2);
    expect(set.getForTrustDomain(tdA)).toBe(x509A);
    expect(set.getForTrustDomain("b.example")).toBe(x509B);
    expect(set.getX509BundleForTrustDomain(tdB)).toBe(x509B);
    expect(set.getJwtBundleForTrustDomain(tdA)).toBeUndefined();
    expect(set.trustDomains.map((t) => t.name)).toEqual(["a.example", "b.example"]);
    expect([...set]).toEqual([x509A, x509B]);
  });

  test("never merges authorities across trust domains", () => {
    expect(set.getX509BundleForTrustDomain(tdA)!.hasAuthority(caB.der)).toBe(false);
    expect(set.getX509BundleForTrustDomain(tdB)!.hasAuthority(caA.der)).toBe(false);
    expect(set.getX509BundleForTrustDomain(tdB)!.authorities).toEqual([caB.der]);
  });

  test("unknown trust domains and wrong lookup types give undefined", () => {
    expect(set.getForTrustDomain("c.example")).toBeUndefined();
    expect(set.getX509BundleForTrustDomain(TrustDomain.parse("c.example"))).toBeUndefined();
    expect(set.has("c.example")).toBe(false);
    for (const bad of [null, undefined, 42, {}, "spiffe://a.example"]) {
      expect(set.getForTrustDomain(bad as unknown as string)).toBeUndefined();
      expect(set.has(bad as unknown as string)).toBe(false);
      expect(set.delete(bad as unknown as string)).toBe(false);
    }
  });

  test("is a source for the X.509 verifier's resolver", () => {
    expect(resolveX509Bundle(set, tdB)).toBe(x509B);
    expect(() => resolveX509Bundle(set, TrustDomain.parse("c.example"))).toThrow(/no X.509 bundle/);
  });
});

describe("BundleSet of SPIFFE bundles", () => {
  const set = new BundleSet<SpiffeBundle>([spiffeA, spiffeB]);

  test("gives the X.509 and JWT parts of the asked trust domain only", () => {
    expect(set.getForTrustDomain(tdA)?.sequenceNumber).toBe(1);
    expect(set.getX509BundleForTrustDomain(tdA)).toBe(x509A);
    expect(set.getJwtBundleForTrustDomain(tdA)).toBe(jwtA);
    expect(set.getJwtBundleForTrustDomain(tdB)!.hasKey("ka")).toBe(false);
    expect(set.getJwtBundleForTrustDomain(tdA)!.hasKey("kb")).toBe(false);
    expect(set.getX509BundleForTrustDomain(tdB)!.authorities).toEqual([caB.der]);
  });

  test("is a source for both resolvers (specific and generic lookups)", () => {
    expect(resolveJwtBundle(set, tdB)).toBe(jwtB);
    expect(resolveX509Bundle(set, tdA)).toBe(x509A);
    expect(resolveJwtBundle({ getForTrustDomain: (td) => set.getForTrustDomain(td) }, tdA)).toBe(jwtA);
    expect(resolveX509Bundle({ getForTrustDomain: (td) => set.getForTrustDomain(td) }, tdB)).toBe(x509B);
  });
});

describe("BundleSet of JWT bundles and mixed sets", () => {
  test("JWT members are JWT sources and not X.509 sources", () => {
    const set = new BundleSet([jwtA, x509B]);
    expect(set.getJwtBundleForTrustDomain(tdA)).toBe(jwtA);
    expect(set.getX509BundleForTrustDomain(tdA)).toBeUndefined();
    expect(set.getX509BundleForTrustDomain(tdB)).toBe(x509B);
    expect(set.getJwtBundleForTrustDomain(tdB)).toBeUndefined();
  });
});

describe("BundleSet updates", () => {
  test("set replaces the bundle of the same trust domain; delete and has", () => {
    const set = new BundleSet<X509Bundle>();
    expect(set.size).toBe(0);
    expect(set.set(x509A).set(x509B)).toBe(set);
    const newer = X509Bundle.fromCertificates("a.example", [caA2.der]);
    set.set(newer);
    expect(set.size).toBe(2);
    expect(set.getForTrustDomain(tdA)).toBe(newer);
    expect(set.getX509BundleForTrustDomain(tdA)!.hasAuthority(caA.der)).toBe(false);
    expect(set.has(tdB)).toBe(true);
    expect(set.delete("b.example")).toBe(true);
    expect(set.delete(tdB)).toBe(false);
    expect(set.has(tdB)).toBe(false);
    expect(set.trustDomains.map((t) => t.name)).toEqual(["a.example"]);
  });

  test("iteration is over a snapshot", () => {
    const set = new BundleSet([x509A, x509B]);
    const seen: string[] = [];
    for (const b of set) {
      seen.push(b.trustDomain.name);
      set.delete(tdB);
    }
    expect(seen).toEqual(["a.example", "b.example"]);
    expect(set.size).toBe(1);
  });

  const rejects: Array<[string, () => unknown, BundleErrorCode]> = [
    ["two bundles of one trust domain", () => new BundleSet([x509A, X509Bundle.fromCertificates("a.example", [caA2.der])]), "ERR_BUNDLE_DUPLICATE_TRUST_DOMAIN"],
    ["an X.509 and a JWT bundle of one trust domain", () => new BundleSet([x509A, jwtA]), "ERR_BUNDLE_DUPLICATE_TRUST_DOMAIN"],
  ];
  for (const [name, fn, code] of rejects) {
    test(`${name}: ${code}`, () => {
      expect(codeOf(fn)).toBe(code);
    });
  }

  const badArguments: Array<[string, () => unknown, string]> = [
    ["a member that is not a bundle", () => new BundleSet([x509A, { trustDomain: tdB } as unknown as X509Bundle]), "bundles"],
    ["null instead of an iterable", () => new BundleSet(null as unknown as X509Bundle[]), "bundles"],
    ["a number instead of an iterable", () => new BundleSet(5 as unknown as X509Bundle[]), "bundles"],
    ["set() with something that is not a bundle", () => new BundleSet().set("a.example" as unknown as X509Bundle), "bundle"],
  ];
  for (const [name, fn, argument] of badArguments) {
    test(`${name}: InvalidArgumentError naming "${argument}"`, async () => {
      await expectInvalidArgument(fn, argument);
    });
  }
});
