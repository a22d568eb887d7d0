import { describe, expect, test } from "bun:test";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import { verifyX509Svid } from "../../src/core/svid/x509/verify-x509-svid.ts";
import { type BundleSourceUpdate } from "../../src/workloadapi/bundle-source.ts";
import { errorLog, FAST_BACKOFF, startFixture, waitFor } from "./support.ts";
import { BundleSource } from "../../src/adapters/node/mod.ts";

function syncCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkloadApiError);
    return (err as WorkloadApiError).code;
  }
  throw new Error("expected a throw");
}

describe("BundleSource", () => {
  test("serves X.509 and JWT bundles, follows federation, and verifies SVIDs", async () => {
    const f = await startFixture();
    try {
      await using source = await BundleSource.create({ address: f.server.address, timeoutMs: 10_000 });
      expect(source.getX509BundleForTrustDomain("example.org")!.equals(f.ca.x509Bundle)).toBe(true);
      expect(source.getJwtBundleForTrustDomain("example.org")!.keys.map((k) => k.kid)).toEqual(f.ca.jwks.keys.map((k) => k.kid!));
      expect(source.getJwtBundleForTrustDomain("fed.example")).toBe(undefined);
      const updates: BundleSourceUpdate[] = [];
      source.onUpdate((u) => updates.push(u));
      f.server.addFederatedBundle(f.fed);
      await waitFor(() => source.getX509BundleForTrustDomain("fed.example") !== undefined && source.getJwtBundleForTrustDomain("fed.example") !== undefined, "federated bundles");
      expect(updates.length).toBe(2);
      expect([...updates[1]!.x509Bundles.keys()].sort()).toEqual(["example.org", "fed.example"]);
      const peer = await f.fed.issueX509Svid({ id: "spiffe://fed.example/api" });
      expect((await verifyX509Svid(peer.certificates, source)).id.toString()).toBe("spiffe://fed.example/api");
      f.server.removeFederatedBundle("fed.example");
      await waitFor(() => source.getX509BundleForTrustDomain("fed.example") === undefined && source.getJwtBundleForTrustDomain("fed.example") === undefined, "removed");
    } finally {
      await f.dispose();
    }
  });

  test("malformed bundle responses are discarded; the last good bundles stay", async () => {
    const f = await startFixture();
    try {
      const log = errorLog();
      await using source = await BundleSource.create({ address: f.server.address, onError: log.onError, backoff: FAST_BACKOFF });
      const variants: [string, () => void][] = [
        ["no X.509 bundles", () => f.server.pushRawX509BundlesResponse({ bundles: {} })],
        ["undecodable X.509 bundle", () => f.server.pushRawX509BundlesResponse({ bundles: { "spiffe://example.org": new Uint8Array([1, 2]) } })],
        ["empty X.509 bundle", () => f.server.pushRawX509BundlesResponse({ bundles: { "spiffe://example.org": new Uint8Array() } })],
        ["no JWT bundles", () => f.server.pushRawJwtBundlesResponse({ bundles: {} })],
        ["JWT bundle not JSON", () => f.server.pushRawJwtBundlesResponse({ bundles: { "spiffe://example.org": new TextEncoder().encode("{nope") } })],
        ["JWT bundle key not a trust domain", () => f.server.pushRawJwtBundlesResponse({ bundles: { "spiffe://Bad Name": new TextEncoder().encode(f.ca.jwksJson()) } })],
      ];
      for (const [name, push] of variants) {
        const before = log.codes.length;
        push();
        await waitFor(() => log.codes.length > before, `report of "${name}"`);
        expect([name, log.codes.at(-1)]).toEqual([name, "ERR_WORKLOAD_API_BAD_RESPONSE"]);
        expect(source.getX509BundleForTrustDomain("example.org")!.equals(f.ca.x509Bundle)).toBe(true);
        expect(source.getJwtBundleForTrustDomain("example.org")).toBeDefined();
      }
    } finally {
      await f.dispose();
    }
  });

  test("after close the getters throw ERR_WORKLOAD_API_CLOSED", async () => {
    const f = await startFixture();
    try {
      const source = await BundleSource.create({ address: f.server.address });
      await source.close();
      expect(syncCode(() => source.getX509BundleForTrustDomain("example.org"))).toBe("ERR_WORKLOAD_API_CLOSED");
      expect(syncCode(() => source.getJwtBundleForTrustDomain("example.org"))).toBe("ERR_WORKLOAD_API_CLOSED");
    } finally {
      await f.dispose();
    }
  });
});
