import { describe, expect, test } from "bun:test";
import { ConfigError, JwtBundle, type JwtSourceUpdate, JwtSvid, JwtSvidError, WorkloadApiError } from "../../mod.ts";
import { createTestCa } from "../../src/testing/mod.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { errorLog, FAST_BACKOFF, startFixture, waitFor } from "./support.ts";
import { JwtSource } from "../../src/adapters/node/mod.ts";

const AUD = "spiffe://example.org/api";

async function jwtCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (err) {
    return err instanceof JwtSvidError || err instanceof WorkloadApiError ? err.code : `unexpected ${String(err)}`;
  }
}

function syncCode(fn: () => unknown): string {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof WorkloadApiError ? err.code : `unexpected ${String(err)}`;
  }
}

const fetches = (calls: readonly { method: string }[]): number => calls.filter((c) => c.method === "FetchJWTSVID").length;

describe("JwtSource", () => {
  test("fetches JWT-SVIDs that validate against its own bundles; keeps the bundles", async () => {
    const f = await startFixture({ workloads: [{ id: "spiffe://example.org/web", hint: "main" }, { id: "spiffe://example.org/db", hint: "db" }] });
    try {
      await using source = await JwtSource.create({ address: f.server.address, timeoutMs: 10_000 });
      const svid = await source.fetchJwtSvid({ audience: AUD });
      expect(svid).toBeInstanceOf(JwtSvid);
      expect(svid.id.toString()).toBe("spiffe://example.org/web");
      expect(svid.hint).toBe("main");
      expect(svid.audience).toEqual([AUD]);
      const db = await source.fetchJwtSvid({ audience: [AUD, "other"], subject: "spiffe://example.org/db" });
      expect(db.id.toString()).toBe("spiffe://example.org/db");
      expect(db.audience).toEqual([AUD, "other"]);

      const validated = await JwtSvid.parseAndValidate(svid.token, source, AUD);
      expect(validated.id.equals(svid.id)).toBe(true);
      expect(await jwtCode(JwtSvid.parseAndValidate(svid.token, source, "spiffe://example.org/elsewhere"))).toBe("ERR_JWT_SVID_AUDIENCE_MISMATCH");

      const bundle = source.getJwtBundleForTrustDomain("example.org");
      expect(bundle).toBeInstanceOf(JwtBundle);
      expect(bundle!.keys.map((k) => k.kid)).toEqual(f.ca.jwks.keys.map((k) => k.kid));
      expect(source.getJwtBundleForTrustDomain("spiffe://example.org")).toBe(bundle);
      expect(source.getJwtBundleForTrustDomain("unknown.org")).toBe(undefined);
      expect([...source.getJwtBundles().keys()]).toEqual(["example.org"]);

      // the agent agrees (ValidateJWTSVID through the client stays available)
      expect((await source.fetchJwtSvid({ audience: AUD })).token.split(".").length).toBe(3);
    } finally {
      await f.dispose();
    }
  });

  test("PS256 and RS256 JWT-SVIDs from the development server validate", async () => {
    for (const jwtAlg of ["PS256", "RS256"] as const) {
      const ca = await createTestCa({ trustDomain: "example.org", jwtAlg });
      const f = await startFixture({ ca });
      try {
        await using source = await JwtSource.create({ address: f.server.address, timeoutMs: 10_000 });
        const svid = await source.fetchJwtSvid({ audience: AUD });
        expect(JSON.parse(atob(svid.token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")))["alg"]).toBe(jwtAlg);
        expect((await JwtSvid.parseAndValidate(svid.token, source, AUD)).id.toString()).toBe("spiffe://example.org/web");
      } finally {
        await f.dispose();
      }
    }
  });

  test("bundle rotation: a removed key stops validating right after the update", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const f = await startFixture({ ca });
    try {
      await using source = await JwtSource.create({ address: f.server.address, timeoutMs: 10_000 });
      const old = await source.fetchJwtSvid({ audience: AUD });
      const updates = source.updates();
      const next = (): Promise<JwtSourceUpdate> => updates.next().then((r) => r.value as JwtSourceUpdate);

      await ca.rotateJwtKey(); // the new key is added, the old one stays
      const u1 = await next();
      expect(u1.bundles.get("example.org")!.keys.length).toBe(2);
      expect(await jwtCode(JwtSvid.parseAndValidate(old.token, source, AUD))).toBe("no error");
      const fresh = await source.fetchJwtSvid({ audience: AUD });
      expect(JSON.parse(atob(fresh.token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")))["kid"]).toBe(ca.jwks.keys[1]!.kid);

      ca.dropPreviousJwtKeys(); // the old key is gone
      const u2 = await next();
      expect(u2.bundles.get("example.org")!.keys.length).toBe(1);
      expect(await jwtCode(JwtSvid.parseAndValidate(old.token, source, AUD))).toBe("ERR_JWT_SVID_KEY_NOT_FOUND");
      expect(await jwtCode(JwtSvid.parseAndValidate(fresh.token, source, AUD))).toBe("no error");
      await updates.return(undefined);
    } finally {
      await f.dispose();
    }
  });

  test("a removed trust domain stops validating right after the update", async () => {
    const f = await startFixture();
    try {
      await using source = await JwtSource.create({ address: f.server.address, timeoutMs: 10_000 });
      const seen: JwtSourceUpdate[] = [];
      const results: string[] = [];
      const peer = await f.fed.issueJwtSvid({ id: "spiffe://fed.example/api", audience: AUD });
      expect(await jwtCode(JwtSvid.parseAndValidate(peer.token, source, AUD))).toBe("ERR_JWT_SVID_NO_BUNDLE");
      // validate synchronously from the update listener: the new bundles are already in force
      source.onUpdate((u) => {
        seen.push(u);
        void jwtCode(JwtSvid.parseAndValidate(peer.token, source, AUD)).then((c) => results.push(c));
      });
      f.server.addFederatedBundle(f.fed);
      await waitFor(() => results.length === 1, "federated bundle");
      expect(results[0]).toBe("no error");
      f.server.removeFederatedBundle("fed.example");
      await waitFor(() => results.length === 2, "federated bundle removed");
      expect(results[1]).toBe("ERR_JWT_SVID_NO_BUNDLE");
      expect(seen.map((u) => [...u.bundles.keys()].sort())).toEqual([["example.org", "fed.example"], ["example.org"]]);
    } finally {
      await f.dispose();
    }
  });

  test("the optional cache reuses a token until half its lifetime, per audience and subject", async () => {
    const f = await startFixture({ jwtSvidTtlMs: 600_000 });
    try {
      let offsetMs = 0;
      const now = (): Date => new Date(Date.now() + offsetMs);
      await using cached = await JwtSource.create({ address: f.server.address, timeoutMs: 10_000, cacheJwtSvids: true, now });
      f.server.clearCalls();
      const a = await cached.fetchJwtSvid({ audience: [AUD, "b"] });
      const [b, c] = await Promise.all([cached.fetchJwtSvid({ audience: ["b", AUD, AUD] }), cached.fetchJwtSvid({ audience: [AUD, "b"] })]);
      expect(b).toBe(a);
      expect(c).toBe(a);
      expect(fetches(f.server.calls)).toBe(1);
      const other = await cached.fetchJwtSvid({ audience: "other" });
      expect(other.audience).toEqual(["other"]);
      expect(fetches(f.server.calls)).toBe(2);
      const sub = await cached.fetchJwtSvid({ audience: [AUD, "b"], subject: "spiffe://example.org/web" });
      expect(sub).not.toBe(a);
      expect(fetches(f.server.calls)).toBe(3);

      offsetMs = 290_000; // before half of the 600 s lifetime
      expect(await cached.fetchJwtSvid({ audience: [AUD, "b"] })).toBe(a);
      expect(fetches(f.server.calls)).toBe(3);
      offsetMs = 310_000; // past half: refreshed
      const refreshed = await cached.fetchJwtSvid({ audience: [AUD, "b"] });
      expect(refreshed).not.toBe(a);
      expect(fetches(f.server.calls)).toBe(4);

      // a bundle update empties the cache
      const updated = new Promise<void>((resolve) => cached.onUpdate(() => resolve()));
      await f.ca.rotateJwtKey();
      await updated;
      expect(await cached.fetchJwtSvid({ audience: [AUD, "b"] })).not.toBe(refreshed);
      expect(fetches(f.server.calls)).toBe(5);

      // a failed fetch is not cached
      f.server.failNext(1, "Unavailable", "down", "FetchJWTSVID");
      expect(await jwtCode(cached.fetchJwtSvid({ audience: "fails" }))).toBe("ERR_WORKLOAD_API_UNAVAILABLE");
      expect((await cached.fetchJwtSvid({ audience: "fails" })).audience).toEqual(["fails"]);

      // without the cache every call asks the agent
      await using uncached = await JwtSource.create({ address: f.server.address, timeoutMs: 10_000 });
      f.server.clearCalls();
      const x = await uncached.fetchJwtSvid({ audience: AUD });
      const y = await uncached.fetchJwtSvid({ audience: AUD });
      expect(x).not.toBe(y);
      expect(fetches(f.server.calls)).toBe(2);
    } finally {
      await f.dispose();
    }
  });

  test("bad arguments, and use after close", async () => {
    const f = await startFixture();
    try {
      await expectInvalidArgument(JwtSource.create({ address: f.server.address, cacheJwtSvids: "yes" as unknown as boolean }), "cacheJwtSvids", ConfigError);
      const log = errorLog();
      const source = await JwtSource.create({ address: f.server.address, backoff: FAST_BACKOFF, onError: log.onError, cacheJwtSvids: true });
      await expectInvalidArgument(source.fetchJwtSvid({ audience: "" }), "options.audience");
      await expectInvalidArgument(source.fetchJwtSvid({ audience: AUD, subject: "nope" }), "options.subject");
      await expectInvalidArgument(() => source.onUpdate(42 as never), "listener");
      const token = (await source.fetchJwtSvid({ audience: AUD })).token;
      await source.close();
      await source.close();
      expect(syncCode(() => source.getJwtBundleForTrustDomain("example.org"))).toBe("ERR_WORKLOAD_API_CLOSED");
      expect(await jwtCode(source.fetchJwtSvid({ audience: AUD }))).toBe("ERR_WORKLOAD_API_CLOSED");
      // a closed source validates nothing
      expect(await jwtCode(JwtSvid.parseAndValidate(token, source, AUD))).toBe("ERR_JWT_SVID_NO_BUNDLE");
      const iter = source.updates();
      expect((await iter.next()).done).toBe(true);
    } finally {
      await f.dispose();
    }
  });

  test("a malformed JWT-SVID from the agent is a bad response, not a JwtSvid", async () => {
    const f = await startFixture();
    try {
      await using source = await JwtSource.create({ address: f.server.address, timeoutMs: 10_000 });
      // the development server issues with the CA; make the CA produce a token without aud by overriding claims
      const issue = f.ca.issueJwtSvid.bind(f.ca);
      (f.ca as { issueJwtSvid: typeof issue }).issueJwtSvid = (o) => issue({ ...o, claims: { aud: [] } });
      try {
        expect(await jwtCode(source.fetchJwtSvid({ audience: AUD }))).toBe("ERR_WORKLOAD_API_BAD_RESPONSE");
        (f.ca as { issueJwtSvid: typeof issue }).issueJwtSvid = (o) => issue({ ...o, claims: { aud: ["someone-else"] } });
        expect(await jwtCode(source.fetchJwtSvid({ audience: AUD }))).toBe("ERR_WORKLOAD_API_BAD_RESPONSE");
        (f.ca as { issueJwtSvid: typeof issue }).issueJwtSvid = (o) => issue({ ...o, claims: { sub: "spiffe://example.org/other" } });
        expect(await jwtCode(source.fetchJwtSvid({ audience: AUD }))).toBe("ERR_WORKLOAD_API_BAD_RESPONSE");
      } finally {
        delete (f.ca as { issueJwtSvid?: unknown }).issueJwtSvid;
      }
      expect(await jwtCode(source.fetchJwtSvid({ audience: AUD }))).toBe("no error");
    } finally {
      await f.dispose();
    }
  });
});
