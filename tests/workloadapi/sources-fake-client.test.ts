// X509Source, JwtSource and BundleSource against an in-memory client (no socket, no server):
// updates, recoverable errors, identity loss (PermissionDenied) and recovery, fatal errors,
// close, and the structural check of the client option.
import { describe, expect, test } from "bun:test";
import { BundleSource, ConfigError, JwtSource, JwtSvid, verifyX509Svid, WorkloadApiError, X509Source, type X509Context } from "../../mod.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { X509Svid } from "../../src/core/svid/x509/x509-svid.ts";
import { FakeWorkloadApiClient } from "./fake-client.ts";
import { waitFor } from "./support.ts";
import { expectInvalidArgument } from "../support/rejection.ts";

const AUD = "spiffe://example.org/api";

let shared: Promise<TestCa> | undefined;
const testCa = (): Promise<TestCa> => (shared ??= createTestCa({ trustDomain: "example.org" }));

async function context(id: string): Promise<X509Context> {
  const ca = await testCa();
  const issued = await ca.issueX509Svid({ id });
  const svid = await X509Svid.parse(issued.certificatesPem, issued.privateKeyPem);
  return { svids: [svid], defaultSvid: svid, bundles: new Map([["example.org", ca.x509Bundle]]), crls: [] };
}

function code(fn: () => unknown): string {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof WorkloadApiError ? err.code : `unexpected ${String(err)}`;
  }
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
    return { code: "no error", message: "" };
  } catch (err) {
    return err instanceof WorkloadApiError || err instanceof ConfigError ? { code: err.code, message: err.message } : { code: `unexpected ${String(err)}`, message: "" };
  }
}

describe("X509Source over an in-memory client", () => {
  test("serves the first context, follows updates (onUpdate and updates()), verifies peers with its bundles", async () => {
    const client = new FakeWorkloadApiClient();
    const first = await context("spiffe://example.org/web");
    client.x509Context.push(first);
    const source = await X509Source.create({ client });
    expect(source.getX509Svid().id.toString()).toBe("spiffe://example.org/web");
    expect(source.healthy).toBe(true);
    const seen: string[] = [];
    source.onUpdate(({ svid }) => seen.push(svid.id.toString()));
    const iterated = (async () => {
      for await (const { context: c } of source.updates()) return c.defaultSvid.id.toString();
      return "ended";
    })();
    const next = await context("spiffe://example.org/web2");
    client.x509Context.push(next);
    await waitFor(() => seen.length === 1, "seen.length === 1");
    expect(seen).toEqual(["spiffe://example.org/web2"]);
    expect(await iterated).toBe("spiffe://example.org/web2");
    expect(source.getX509Context()).toBe(next);
    const peer = await (await testCa()).issueX509Svid({ id: "spiffe://example.org/peer" });
    expect((await verifyX509Svid(peer.certificates, source)).id.toString()).toBe("spiffe://example.org/peer");
    await source.close();
  });

  test("a recoverable error is reported and the SVID stays; PermissionDenied drops it until the next one", async () => {
    const client = new FakeWorkloadApiClient();
    client.x509Context.push(await context("spiffe://example.org/web"));
    const errors: string[] = [];
    const source = await X509Source.create({ client, onError: (e) => errors.push(e.code) });
    client.x509Context.fail("ERR_WORKLOAD_API_BAD_RESPONSE");
    await waitFor(() => errors.length === 1, "errors.length === 1");
    expect(source.getX509Svid().id.toString()).toBe("spiffe://example.org/web");
    client.x509Context.fail("ERR_WORKLOAD_API_PERMISSION_DENIED", "no identity issued");
    await waitFor(() => errors.length === 2, "errors.length === 2");
    expect(errors).toEqual(["ERR_WORKLOAD_API_BAD_RESPONSE", "ERR_WORKLOAD_API_PERMISSION_DENIED"]);
    expect(source.healthy).toBe(false);
    let denied: unknown;
    try {
      source.getX509Svid();
    } catch (err) {
      denied = err;
    }
    expect(denied).toBeInstanceOf(WorkloadApiError);
    expect((denied as WorkloadApiError).code).toBe("ERR_WORKLOAD_API_NO_IDENTITY");
    expect((denied as WorkloadApiError).message).toContain("ERR_WORKLOAD_API_PERMISSION_DENIED: no identity issued");
    expect(code(() => source.getX509BundleForTrustDomain("example.org"))).toBe("ERR_WORKLOAD_API_NO_IDENTITY");
    client.x509Context.push(await context("spiffe://example.org/again"));
    await waitFor(() => source.healthy, "source.healthy");
    expect(source.getX509Svid().id.toString()).toBe("spiffe://example.org/again");
    await source.close();
  });

  test("create: a fatal error rejects at once; no value within timeoutMs names the last problem", async () => {
    const fatal = new FakeWorkloadApiClient();
    const pending = X509Source.create({ client: fatal });
    await waitFor(() => fatal.x509Context.open === 1, "fatal.x509Context.open === 1");
    fatal.x509Context.fatal("ERR_WORKLOAD_API_INVALID_ARGUMENT");
    expect((await rejection(pending)).code).toBe("ERR_WORKLOAD_API_INVALID_ARGUMENT");
    expect(fatal.x509Context.open).toBe(0);
    expect(fatal.closed).toBe(false); // a passed-in client is not closed

    const silent = new FakeWorkloadApiClient();
    const waiting = X509Source.create({ client: silent, timeoutMs: 100 });
    await waitFor(() => silent.x509Context.open === 1, "silent.x509Context.open === 1");
    silent.x509Context.fail("ERR_WORKLOAD_API_PERMISSION_DENIED", "not registered");
    const timedOut = await rejection(waiting);
    expect(timedOut.code).toBe("ERR_WORKLOAD_API_TIMEOUT");
    expect(timedOut.message).toContain("ERR_WORKLOAD_API_PERMISSION_DENIED: not registered");
  });

  test("close: getters throw ERR_WORKLOAD_API_CLOSED, updates() ends, the watch stops, a passed-in client stays open", async () => {
    const client = new FakeWorkloadApiClient();
    client.x509Context.push(await context("spiffe://example.org/web"));
    const source = await X509Source.create({ client });
    const iteration = (async () => {
      const got: unknown[] = [];
      for await (const u of source.updates()) got.push(u);
      return got.length;
    })();
    await source.close();
    await source.close();
    expect(await iteration).toBe(0);
    expect(code(() => source.getX509Svid())).toBe("ERR_WORKLOAD_API_CLOSED");
    await waitFor(() => client.x509Context.open === 0, "client.x509Context.open === 0");
    expect(client.closed).toBe(false);
  });

  test("the client is checked by shape: any object with the client's methods, nothing else", async () => {
    const fake = new FakeWorkloadApiClient();
    fake.x509Context.push(await context("spiffe://example.org/web"));
    // a plain object (not a class instance) forwarding to the fake
    const plain = {
      watchX509Context: fake.watchX509Context.bind(fake),
      watchX509Bundles: fake.watchX509Bundles.bind(fake),
      watchJwtBundles: fake.watchJwtBundles.bind(fake),
      fetchJwtSvid: fake.fetchJwtSvid.bind(fake),
      close: fake.close.bind(fake),
    };
    const source = await X509Source.create({ client: plain });
    expect(source.getX509Svid().id.toString()).toBe("spiffe://example.org/web");
    await source.close();
    const { fetchJwtSvid: _, ...incomplete } = plain;
    await expectInvalidArgument(X509Source.create({ client: incomplete as never }), "client", ConfigError);
    await expectInvalidArgument(X509Source.create({ client: 42 as never }), "client", ConfigError);
  });

  test("an error of another shape thrown by the client is wrapped, with the Workload API code kept when it has one", async () => {
    const client = new FakeWorkloadApiClient();
    const foreign = Object.assign(new Error("from another copy"), { code: "ERR_WORKLOAD_API_INVALID_ARGUMENT", grpcStatus: 3 });
    client.watchX509Context = async function* () {
      yield* [];
      throw foreign;
    };
    const e = await rejection(X509Source.create({ client }));
    expect(e).toEqual({ code: "ERR_WORKLOAD_API_INVALID_ARGUMENT", message: "from another copy" });
    client.watchX509Context = async function* () {
      yield* [];
      throw new TypeError("boom");
    };
    expect((await rejection(X509Source.create({ client }))).code).toBe("ERR_WORKLOAD_API_CALL_FAILED");
  });
});

describe("JwtSource over an in-memory client", () => {
  test("bundles and updates, fetchJwtSvid through the client (cached until a bundle update), PermissionDenied, close", async () => {
    const ca = await testCa();
    const client = new FakeWorkloadApiClient();
    client.jwtBundles.push(new Map([["example.org", ca.jwtBundle]]));
    const issued = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: AUD });
    client.jwtSvid = async () => JwtSvid.parseInsecure(issued.token);
    const errors: string[] = [];
    const source = await JwtSource.create({ client, cacheJwtSvids: true, onError: (e) => errors.push(e.code) });
    expect(source.getJwtBundleForTrustDomain("example.org")).toBe(ca.jwtBundle);
    expect((await JwtSvid.parseAndValidate(issued.token, source, AUD)).id.toString()).toBe("spiffe://example.org/web");
    expect((await source.fetchJwtSvid({ audience: AUD })).token).toBe(issued.token);
    await source.fetchJwtSvid({ audience: [AUD, AUD] });
    expect(client.jwtRequests.length).toBe(1); // cached
    const updates: number[] = [];
    source.onUpdate(({ bundles }) => updates.push(bundles.size));
    client.jwtBundles.push(new Map());
    await waitFor(() => updates.length === 1, "updates.length === 1");
    expect(source.getJwtBundleForTrustDomain("example.org")).toBeUndefined();
    await source.fetchJwtSvid({ audience: AUD });
    expect(client.jwtRequests.length).toBe(2); // the update emptied the cache
    client.jwtBundles.fail("ERR_WORKLOAD_API_PERMISSION_DENIED");
    await waitFor(() => errors.length === 1, "errors.length === 1");
    expect(code(() => source.getJwtBundles())).toBe("ERR_WORKLOAD_API_NO_BUNDLE");
    await source.close();
    expect((await rejection(source.fetchJwtSvid({ audience: AUD }))).code).toBe("ERR_WORKLOAD_API_CLOSED");
    expect(code(() => source.getJwtBundles())).toBe("ERR_WORKLOAD_API_CLOSED");
  });

  test("cacheJwtSvids must be a boolean (refused before any watch opens)", async () => {
    const client = new FakeWorkloadApiClient();
    await expectInvalidArgument(JwtSource.create({ client, cacheJwtSvids: "yes" as never }), "cacheJwtSvids", ConfigError);
    expect(client.jwtBundles.opened).toBe(0);
  });
});

describe("BundleSource over an in-memory client", () => {
  test("ready once both streams sent bundles; each stream's PermissionDenied drops only its bundles", async () => {
    const ca = await testCa();
    const client = new FakeWorkloadApiClient();
    client.x509Bundles.push(new Map([["example.org", ca.x509Bundle]]));
    let ready = false;
    const pending = BundleSource.create({ client }).then((s) => ((ready = true), s));
    await waitFor(() => client.jwtBundles.open === 1, "client.jwtBundles.open === 1");
    expect(ready).toBe(false);
    client.jwtBundles.push(new Map([["example.org", ca.jwtBundle]]));
    const source = await pending;
    expect(source.getX509BundleForTrustDomain("example.org")).toBe(ca.x509Bundle);
    expect(source.getJwtBundleForTrustDomain("example.org")).toBe(ca.jwtBundle);
    const updates: string[] = [];
    source.onUpdate(({ x509Bundles, jwtBundles }) => updates.push(`${x509Bundles.size}/${jwtBundles.size}`));
    client.x509Bundles.fail("ERR_WORKLOAD_API_PERMISSION_DENIED");
    await waitFor(() => code(() => source.getX509BundleForTrustDomain("example.org")) === "ERR_WORKLOAD_API_NO_BUNDLE", "code(() => source.getX509BundleForTrustDomain('example.org')) === 'ERR_WORKLOAD_API_NO_BUNDLE'");
    expect(source.getJwtBundleForTrustDomain("example.org")).toBe(ca.jwtBundle);
    client.x509Bundles.push(new Map());
    await waitFor(() => updates.length === 1, "updates.length === 1");
    expect(updates).toEqual(["0/1"]);
    await source.close();
    expect(code(() => source.getJwtBundleForTrustDomain("example.org"))).toBe("ERR_WORKLOAD_API_CLOSED");
    await waitFor(() => client.x509Bundles.open === 0 && client.jwtBundles.open === 0, "client.x509Bundles.open === 0 && client.jwtBundles.open === 0");
  });
});

describe("from the root, without a transport", () => {
  test("the client and the sources refuse with a ConfigError that says what to do", async () => {
    const { WorkloadApiClient } = await import("../../mod.ts");
    let thrown: unknown;
    try {
      new WorkloadApiClient({ address: "unix:///tmp/agent.sock" });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).code).toBe("ERR_INVALID_ARGUMENT");
    expect((thrown as ConfigError).option).toBe("transport");
    expect((thrown as ConfigError).message).toContain("@spiffe-ts/sdk/node");
    for (const create of [() => X509Source.create(), () => JwtSource.create(), () => BundleSource.create({ address: "unix:///tmp/agent.sock" })]) {
      const e = await rejection(create());
      expect(e.code).toBe("ERR_INVALID_ARGUMENT");
      expect(e.message).toContain("runtime entry");
    }
    let wrong: unknown;
    try {
      new WorkloadApiClient({ transport: {} as never });
    } catch (err) {
      wrong = err;
    }
    expect((wrong as ConfigError).option).toBe("transport");
  });
});
