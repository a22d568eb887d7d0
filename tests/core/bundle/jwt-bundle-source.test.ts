import { describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../support/rejection.ts";
import { BundleError, type BundleErrorCode, JwtBundle, SpiffeBundle, SpiffeError, TrustDomain } from "../../../mod.ts";
import { type JwtBundleSourceLike, resolveJwtBundle } from "../../../src/core/bundle/jwt-bundle-source.ts";

function codeOf(fn: () => unknown): BundleErrorCode | "no error" | "not a BundleError" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof BundleError ? err.code : "not a BundleError";
  }
}

const td = TrustDomain.parse("example.org");
const bundle = JwtBundle.parse(td, '{"keys":[]}');
const other = JwtBundle.parse("other.org", '{"keys":[]}');
const spiffe = SpiffeBundle.fromBundles(td, { jwt: bundle });

describe("resolveJwtBundle", () => {
  test("takes a JwtBundle, a SpiffeBundle, a custom JWT source or a generic source", () => {
    expect(resolveJwtBundle(bundle, td)).toBe(bundle);
    expect(resolveJwtBundle(spiffe, td)).toBe(bundle);
    expect(resolveJwtBundle({ getJwtBundleForTrustDomain: () => bundle }, td)).toBe(bundle);
    expect(resolveJwtBundle({ getForTrustDomain: () => bundle }, td)).toBe(bundle);
    expect(resolveJwtBundle({ getForTrustDomain: () => spiffe }, td)).toBe(bundle);
  });

  const rejects: Array<[string, unknown, BundleErrorCode]> = [
    ["a source without the trust domain", { getJwtBundleForTrustDomain: () => undefined }, "ERR_BUNDLE_NOT_FOUND"],
    ["a bundle of another trust domain", other, "ERR_BUNDLE_NOT_FOUND"],
    ["a source that hands back another trust domain's bundle", { getJwtBundleForTrustDomain: () => other }, "ERR_BUNDLE_NOT_FOUND"],
    ["a generic source that hands back another trust domain's bundle", { getForTrustDomain: () => other }, "ERR_BUNDLE_NOT_FOUND"],
    ["a source that returns a non-bundle", { getJwtBundleForTrustDomain: () => ({ keys: [] }) }, "ERR_BUNDLE_NOT_FOUND"],
    ["a source that returns a promise", { getJwtBundleForTrustDomain: () => Promise.resolve(bundle) }, "ERR_BUNDLE_NOT_FOUND"],
    ["a source that throws", { getJwtBundleForTrustDomain: () => { throw new Error("down"); } }, "ERR_BUNDLE_NOT_FOUND"],
  ];
  for (const [name, source, code] of rejects) {
    test(`${name}: ${code}`, () => {
      expect(codeOf(() => resolveJwtBundle(source as JwtBundleSourceLike, td))).toBe(code);
    });
  }

  for (const [name, source] of [["an object without lookup methods", {}], ["null", null]] as const) {
    test(`${name}: InvalidArgumentError naming "bundleSource"`, async () => {
      await expectInvalidArgument(() => resolveJwtBundle(source as unknown as JwtBundleSourceLike, td), "bundleSource");
    });
  }

  test("a source's own SpiffeError is kept as the cause", () => {
    const cause = new SpiffeError("ERR_CUSTOM", "closed");
    try {
      resolveJwtBundle({ getJwtBundleForTrustDomain: () => { throw cause; } }, td);
      throw new Error("expected an error");
    } catch (err) {
      expect(err).toBeInstanceOf(BundleError);
      expect((err as BundleError).cause).toBe(cause);
      expect((err as BundleError).message).toMatch(/ERR_CUSTOM/);
    }
  });
});
