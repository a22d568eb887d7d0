import { describe, expect, test } from "bun:test";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import { verifyX509Svid } from "../../src/core/svid/x509/verify-x509-svid.ts";
import { createTestCa, rawX509SvidResponse, type RawX509SvidResponse } from "../../src/testing/mod.ts";
import { concatBytes } from "../../src/testing/lib/concat-bytes.ts";
import { type X509SourceUpdate } from "../../src/workloadapi/x509-source.ts";
import { delay, errorLog, FAST_BACKOFF, startFixture, waitFor } from "./support.ts";
import { expectInvalidArgument, rejectionOf } from "../support/rejection.ts";
import { ConfigError } from "../../src/core/errors/config-error.ts";
import { WorkloadApiClient, X509Source } from "../../src/adapters/node/mod.ts";

function syncCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkloadApiError);
    return (err as WorkloadApiError).code;
  }
  throw new Error("expected a throw");
}

describe("X509Source", () => {
  test("create waits for the first SVID; getters serve it; verifyX509Svid accepts the source", async () => {
    const f = await startFixture();
    f.server.addFederatedBundle(f.fed);
    try {
      await using source = await X509Source.create({ address: f.server.address, timeoutMs: 10_000 });
      expect(source.healthy).toBe(true);
      const svid = source.getX509Svid();
      expect(svid.id.toString()).toBe("spiffe://example.org/web");
      expect(source.getX509Context().svids.length).toBe(1);
      expect(source.getX509BundleForTrustDomain("example.org")!.equals(f.ca.x509Bundle)).toBe(true);
      expect(source.getX509BundleForTrustDomain("fed.example")!.equals(f.fed.x509Bundle)).toBe(true);
      expect(source.getX509BundleForTrustDomain("unknown.example")).toBe(undefined);
      const peer = await f.fed.issueX509Svid({ id: "spiffe://fed.example/api" });
      expect((await verifyX509Svid(peer.certificates, source)).id.toString()).toBe("spiffe://fed.example/api");
      expect((await verifyX509Svid(svid.certificates, source)).id.toString()).toBe("spiffe://example.org/web");
    } finally {
      await f.dispose();
    }
  });

  test("rotation is seen through updates() and onUpdate", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const f = await startFixture({ ca });
    try {
      await using source = await X509Source.create({ address: f.server.address });
      const first = source.getX509Svid();
      const viaCallback: X509SourceUpdate[] = [];
      const unsubscribe = source.onUpdate((u) => viaCallback.push(u));
      const it = source.updates();
      const next = it.next();
      await f.server.rotate();
      const update = await next;
      expect(update.done).toBe(false);
      expect(update.value!.svid.serialNumber).not.toBe(first.serialNumber);
      expect(source.getX509Svid().serialNumber).toBe(update.value!.svid.serialNumber);
      await waitFor(() => viaCallback.length === 1, "callback");
      unsubscribe();
      // authority rotation: the new SVID chains to the new root, which is in the new bundle
      await ca.rotateX509Authority();
      await f.server.rotate();
      await waitFor(() => source.getX509Svid().serialNumber !== update.value!.svid.serialNumber, "CA rotation");
      expect(viaCallback.length).toBe(1);
      expect(source.getX509BundleForTrustDomain("example.org")!.authorities.length).toBe(2);
      await it.return(undefined);
    } finally {
      await f.dispose();
    }
  });

  test("federated bundles are added and removed", async () => {
    const f = await startFixture();
    try {
      await using source = await X509Source.create({ address: f.server.address });
      expect(source.getX509BundleForTrustDomain("fed.example")).toBe(undefined);
      f.server.addFederatedBundle(f.fed);
      await waitFor(() => source.getX509BundleForTrustDomain("fed.example") !== undefined, "federated bundle");
      f.server.removeFederatedBundle("fed.example");
      await waitFor(() => source.getX509BundleForTrustDomain("fed.example") === undefined, "federated bundle removed");
      expect(source.getX509Svid().id.toString()).toBe("spiffe://example.org/web");
    } finally {
      await f.dispose();
    }
  });

  test("each malformed response is discarded whole and the last good SVID stays", async () => {
    const f = await startFixture();
    try {
      const log = errorLog();
      await using source = await X509Source.create({ address: f.server.address, onError: log.onError, backoff: FAST_BACKOFF });
      const good = source.getX509Svid();
      let updates = 0;
      source.onUpdate(() => updates++);
      const other = await f.ca.issueX509Svid({ id: "spiffe://example.org/other" });
      const mine = await f.ca.issueX509Svid({ id: "spiffe://example.org/web" });
      const raw = rawX509SvidResponse(f.ca, [mine]);
      const base = raw.svids![0]!;
      const fedBundle = concatBytes(f.fed.x509Authorities);
      const ownBundle = concatBytes(f.ca.x509Authorities);
      const variants: [string, RawX509SvidResponse][] = [
        ["no SVIDs", { svids: [] }],
        ["empty spiffe_id", { svids: [{ ...base, spiffeId: "" }] }],
        ["empty certificate", { svids: [{ ...base, x509Svid: new Uint8Array() }] }],
        ["empty key", { svids: [{ ...base, x509SvidKey: new Uint8Array() }] }],
        ["empty bundle", { svids: [{ ...base, bundle: new Uint8Array() }] }],
        ["undecodable certificate DER", { svids: [{ ...base, x509Svid: new Uint8Array([0x30, 0x03, 1, 2, 3]) }] }],
        ["undecodable key DER", { svids: [{ ...base, x509SvidKey: new Uint8Array([0x30, 0x01, 0]) }] }],
        ["undecodable bundle DER", { svids: [{ ...base, bundle: new Uint8Array([0xff, 0xff]) }] }],
        ["key of another SVID", { svids: [{ ...base, x509SvidKey: other.privateKey }] }],
        ["spiffe_id differs from the URI SAN", { svids: [{ ...base, spiffeId: "spiffe://example.org/other" }] }],
        ["invalid spiffe_id", { svids: [{ ...base, spiffeId: "https://example.org/web" }] }],
        ["SVID not chaining to its bundle", { svids: [{ ...base, bundle: fedBundle }] }],
        ["undecodable federated bundle", { ...raw, federatedBundles: { "spiffe://fed.example": new Uint8Array([1, 2, 3]) } }],
        ["empty federated bundle", { ...raw, federatedBundles: { "spiffe://fed.example": new Uint8Array() } }],
        ["federated bundle key not a trust domain", { ...raw, federatedBundles: { "spiffe://Bad Name": ownBundle } }],
        ["a second SVID is bad", { svids: [base, { ...base, x509SvidKey: other.privateKey, hint: "x" }] }],
      ];
      for (const [name, variant] of variants) {
        const before = log.codes.length;
        f.server.pushRawX509Response(variant);
        await waitFor(() => log.codes.length > before, `report of "${name}"`);
        expect([name, log.codes.at(-1)]).toEqual([name, "ERR_WORKLOAD_API_BAD_RESPONSE"]);
        expect(source.getX509Svid().serialNumber).toBe(good.serialNumber);
        expect(source.healthy).toBe(true);
      }
      expect(updates).toBe(0);
      // and a good response after all that is accepted
      f.server.pushRawX509Response(raw);
      await waitFor(() => updates === 1, "good update");
      expect(source.getX509Svid().serialNumber).toBe(mine.serialNumber);
    } finally {
      await f.dispose();
    }
  });

  test("duplicate hints: the first SVID with a hint wins", async () => {
    const f = await startFixture();
    try {
      await using source = await X509Source.create({ address: f.server.address });
      const a = await f.ca.issueX509Svid({ id: "spiffe://example.org/a", hint: "h" });
      const b = await f.ca.issueX509Svid({ id: "spiffe://example.org/b", hint: "h" });
      const c = await f.ca.issueX509Svid({ id: "spiffe://example.org/c" });
      const next = source.updates().next();
      f.server.pushRawX509Response(rawX509SvidResponse(f.ca, [a, b, c]));
      const update = (await next).value!;
      expect(update.context.svids.map((s) => s.id.toString())).toEqual(["spiffe://example.org/a", "spiffe://example.org/c"]);
    } finally {
      await f.dispose();
    }
  });

  test("PermissionDenied drops the SVID until the agent grants one again", async () => {
    const f = await startFixture();
    try {
      const log = errorLog();
      await using source = await X509Source.create({ address: f.server.address, onError: log.onError, backoff: FAST_BACKOFF });
      const first = source.getX509Svid();
      let updates = 0;
      source.onUpdate(() => updates++);
      f.server.setWorkloads([]);
      await waitFor(() => !source.healthy, "SVID dropped");
      expect(log.codes).toContain("ERR_WORKLOAD_API_PERMISSION_DENIED");
      const e = (() => {
        try {
          source.getX509Svid();
        } catch (err) {
          return err as WorkloadApiError;
        }
        throw new Error("getX509Svid should throw");
      })();
      expect(e.code).toBe("ERR_WORKLOAD_API_NO_IDENTITY");
      expect(e.grpcStatus).toBe(7);
      expect(syncCode(() => source.getX509BundleForTrustDomain("example.org"))).toBe("ERR_WORKLOAD_API_NO_IDENTITY");
      f.server.setWorkloads([{ id: "spiffe://example.org/web" }]);
      await waitFor(() => source.healthy, "SVID granted again");
      expect(source.getX509Svid().id.toString()).toBe(first.id.toString());
      expect(updates).toBe(1);
    } finally {
      await f.dispose();
    }
  });

  test("create: timeout names the last problem; abort; InvalidArgument is not retried", async () => {
    const f = await startFixture({ workloads: [] });
    try {
      // 1 s: long enough for a first answer on a loaded machine (300 ms failed once under load ~10).
      const e1 = await rejectionOf(X509Source.create({ address: f.server.address, timeoutMs: 1000, backoff: FAST_BACKOFF }), WorkloadApiError);
      expect(e1.code).toBe("ERR_WORKLOAD_API_TIMEOUT");
      expect(e1.message).toContain("ERR_WORKLOAD_API_PERMISSION_DENIED");
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      expect((await rejectionOf(X509Source.create({ address: f.server.address, signal: ac.signal, backoff: FAST_BACKOFF }), WorkloadApiError)).code).toBe("ERR_WORKLOAD_API_ABORTED");
      f.server.setWorkloads([{ id: "spiffe://example.org/web" }]);
      f.server.failNext(1, "InvalidArgument", "security header missing from request", "FetchX509SVID");
      f.server.clearCalls();
      expect((await rejectionOf(X509Source.create({ address: f.server.address, backoff: FAST_BACKOFF }), WorkloadApiError)).code).toBe("ERR_WORKLOAD_API_INVALID_ARGUMENT");
      await delay(100);
      expect(f.server.calls.filter((c) => c.method === "FetchX509SVID").length).toBe(1);
      expect((await rejectionOf(X509Source.create({ env: {} }), WorkloadApiError)).code).toBe("ERR_WORKLOAD_API_ADDRESS_MISSING");
      await expectInvalidArgument(X509Source.create({ address: f.server.address, timeoutMs: 0 }), "timeoutMs", ConfigError);
    } finally {
      await f.dispose();
    }
  });

  test("after close: getters throw ERR_WORKLOAD_API_CLOSED, updates() ends, a passed-in client stays open", async () => {
    const f = await startFixture();
    try {
      await using client = new WorkloadApiClient({ address: f.server.address });
      const source = await X509Source.create({ client });
      const it = source.updates();
      const pending = it.next();
      await source.close();
      expect((await pending).done).toBe(true);
      expect(syncCode(() => source.getX509Svid())).toBe("ERR_WORKLOAD_API_CLOSED");
      expect(syncCode(() => source.getX509BundleForTrustDomain("example.org"))).toBe("ERR_WORKLOAD_API_CLOSED");
      expect(source.healthy).toBe(false);
      await source.close();
      expect(client.closed).toBe(false);
      expect((await client.fetchX509Context()).svids.length).toBe(1);
      await waitFor(() => f.server.openStreams === 0, "source stream closed");
    } finally {
      await f.dispose();
    }
  });
});
