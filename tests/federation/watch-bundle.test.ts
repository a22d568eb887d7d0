// watchBundle: the refresh schedule (hint, bounds, retries), updates, the last good bundle kept
// on every kind of failure, rollbacks refused, close. Polls are fired by the test (ManualTimers)
// against an in-memory endpoint, so nothing waits on the clock; one test uses real timers.
import { beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, FederationError, type SpiffeBundle as Bundle, SpiffeBundle, watchBundle, type WatchBundleOptions } from "../../mod.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { waitUntil } from "../support/wait-until.ts";
import { ManualTimers, type MemoryEndpoint, memoryEndpoint } from "./memory-endpoint.ts";

const TD = "partner.example";
let partner: TestCa;
let stranger: TestCa;

beforeAll(async () => {
  partner = await createTestCa({ trustDomain: TD });
  stranger = await createTestCa({ trustDomain: "stranger.example" });
});

function document(ca: TestCa, fields: { sequence?: number; hint?: number } = {}): string {
  return SpiffeBundle.fromBundles(ca.trustDomain.name === TD ? TD : ca.trustDomain, {
    x509: ca.x509Bundle,
    jwt: ca.jwtBundle,
    sequenceNumber: fields.sequence,
    refreshHintSeconds: fields.hint,
  }).toJson();
}

const serving = (json: string) => () => new Response(json, { headers: { "content-type": "application/json" } });

interface Harness {
  readonly endpoint: MemoryEndpoint;
  readonly timers: ManualTimers;
  readonly updates: Bundle[];
  readonly errors: FederationError[];
}

function harness(first: (request: Request) => Response | Promise<Response>): Harness & { options: (extra?: Partial<WatchBundleOptions>) => WatchBundleOptions } {
  const endpoint = memoryEndpoint();
  endpoint.respond = first;
  const timers = new ManualTimers();
  const updates: Bundle[] = [];
  const errors: FederationError[] = [];
  return {
    endpoint,
    timers,
    updates,
    errors,
    options: (extra = {}) => ({
      trustDomain: TD,
      profile: "https_web",
      fetch: endpoint.fetch,
      timers,
      onUpdate: (b) => updates.push(b),
      onError: (e) => errors.push(e),
      ...extra,
    }),
  };
}

describe("watchBundle: schedule", () => {
  test("polls again after the refresh hint; within minRefreshMs and maxRefreshMs; five minutes without a hint", async () => {
    const h = harness(serving(document(partner, { sequence: 1, hint: 120 })));
    using watch = watchBundle(h.endpoint.url, h.options());
    expect((await watch.ready).sequenceNumber).toBe(1);
    expect(await h.timers.scheduled(1)).toBe(120_000);

    h.endpoint.respond = serving(document(partner, { sequence: 2, hint: 1 }));
    h.timers.fire();
    expect(await h.timers.scheduled(2)).toBe(30_000); // default minRefreshMs

    h.endpoint.respond = serving(document(partner, { sequence: 3 }));
    h.timers.fire();
    expect(await h.timers.scheduled(3)).toBe(300_000);

    h.endpoint.respond = serving(document(partner, { sequence: 4, hint: 10 * 86_400 }));
    h.timers.fire();
    expect(await h.timers.scheduled(4)).toBe(86_400_000); // default maxRefreshMs
    expect(h.updates.map((b) => b.sequenceNumber)).toEqual([1, 2, 3, 4]);
    expect(h.endpoint.requests).toBe(4);
  });

  test("custom bounds apply to the hint", async () => {
    const h = harness(serving(document(partner, { sequence: 1, hint: 3600 })));
    using watch = watchBundle(h.endpoint.url, h.options({ minRefreshMs: 1000, maxRefreshMs: 60_000 }));
    await watch.ready;
    expect(await h.timers.scheduled(1)).toBe(60_000);
    h.endpoint.respond = serving(document(partner, { sequence: 2, hint: 0 }));
    h.timers.fire();
    expect(await h.timers.scheduled(2)).toBe(1000);
  });

  test("with real timers, a short interval really polls again", async () => {
    const endpoint = memoryEndpoint();
    let sequence = 0;
    endpoint.respond = () => serving(document(partner, { sequence: ++sequence, hint: 0 }))();
    const updates: number[] = [];
    using watch = watchBundle(endpoint.url, { trustDomain: TD, profile: "https_web", fetch: endpoint.fetch, minRefreshMs: 20, onUpdate: (b) => updates.push(b.sequenceNumber!) });
    await waitUntil(() => updates.length >= 3, "three polls");
    expect(updates.slice(0, 3)).toEqual([1, 2, 3]);
    watch.close();
    const after = endpoint.requests;
    await new Promise((r) => setTimeout(r, 100));
    expect(endpoint.requests).toBe(after); // close() stopped the timer
  });
});

describe("watchBundle: updates and failures", () => {
  test("the same bundle again is no update; a changed one is", async () => {
    const h = harness(serving(document(partner, { sequence: 1, hint: 60 })));
    using watch = watchBundle(h.endpoint.url, h.options());
    await watch.ready;
    h.timers.fire();
    await h.timers.scheduled(2);
    expect(h.updates.length).toBe(1);
    await partner.rotateJwtKey();
    h.endpoint.respond = serving(document(partner, { sequence: 2, hint: 60 }));
    h.timers.fire();
    await h.timers.scheduled(3);
    expect(h.updates.length).toBe(2);
    expect(watch.bundle?.jwtBundle.keys.length).toBe(2);
  });

  test("endpoint down, erroring, serving garbage or another trust domain: each reported, the last good bundle kept, polling goes on", async () => {
    const good = document(partner, { sequence: 5, hint: 60 });
    const h = harness(serving(good));
    using watch = watchBundle(h.endpoint.url, h.options());
    const first = await watch.ready;
    const failures: [(r: Request) => Response | Promise<Response>, string][] = [
      [() => Promise.reject(new TypeError("fetch failed: connection refused")), "ERR_FEDERATION_UNREACHABLE"],
      [() => new Response("down for maintenance", { status: 503 }), "ERR_FEDERATION_HTTP_STATUS"],
      [() => new Response("{\"keys\": 3}"), "ERR_FEDERATION_INVALID_BUNDLE"],
      [serving(document(stranger, { sequence: 9 })), "ERR_FEDERATION_TRUST_DOMAIN_MISMATCH"],
    ];
    for (const [i, [respond, code]] of failures.entries()) {
      h.endpoint.respond = respond;
      h.timers.fire();
      expect(await h.timers.scheduled(i + 2)).toBe(60_000); // the next regular poll, no hammering
      expect(h.errors.at(-1)?.code).toBe(code);
      expect(watch.lastError?.code).toBe(code);
      expect(watch.bundle).toBe(first);
    }
    expect(h.updates.length).toBe(1);
    h.endpoint.respond = serving(document(partner, { sequence: 6, hint: 60 }));
    h.timers.fire();
    await h.timers.scheduled(6);
    expect(watch.bundle?.sequenceNumber).toBe(6);
    expect(watch.lastError).toBeUndefined();
  });

  test("a lower spiffe_sequence with other keys is refused as a rollback; with the same keys it is ignored", async () => {
    const h = harness(serving(document(partner, { sequence: 10, hint: 60 })));
    using watch = watchBundle(h.endpoint.url, h.options());
    const held = await watch.ready;
    h.endpoint.respond = serving(document(partner, { sequence: 9, hint: 60 }));
    h.timers.fire();
    await h.timers.scheduled(2);
    expect(h.errors).toEqual([]);
    expect(watch.bundle).toBe(held);

    const old = await createTestCa({ trustDomain: TD });
    h.endpoint.respond = serving(document(old, { sequence: 3, hint: 60 }));
    h.timers.fire();
    await h.timers.scheduled(3);
    expect(h.errors.map((e) => e.code)).toEqual(["ERR_FEDERATION_SEQUENCE_BACKWARDS"]);
    expect(watch.bundle).toBe(held);
    expect(h.updates.length).toBe(1);

    // A bundle without a sequence is taken as the newest (SPIFFE Federation §4.2).
    h.endpoint.respond = serving(document(old, { hint: 60 }));
    h.timers.fire();
    await h.timers.scheduled(4);
    expect(watch.bundle?.sequenceNumber).toBeUndefined();
    expect(h.updates.length).toBe(2);
  });

  test("before the first bundle, failures are retried after minRefreshMs; ready resolves with the first good bundle", async () => {
    const h = harness(() => new Response("not yet", { status: 404 }));
    using watch = watchBundle(h.endpoint.url, h.options({ minRefreshMs: 500 }));
    expect(await h.timers.scheduled(1)).toBe(500);
    expect(watch.bundle).toBeUndefined();
    expect(h.errors[0]?.code).toBe("ERR_FEDERATION_HTTP_STATUS");
    h.endpoint.respond = serving(document(partner, { sequence: 1, hint: 60 }));
    h.timers.fire();
    expect((await watch.ready).sequenceNumber).toBe(1);
  });

  test("throwing listeners do not stop the watch", async () => {
    const endpoint = memoryEndpoint();
    endpoint.respond = () => new Response("no", { status: 500 });
    const timers = new ManualTimers();
    using watch = watchBundle(endpoint.url, {
      trustDomain: TD,
      profile: "https_web",
      fetch: endpoint.fetch,
      timers,
      onError: () => {
        throw new Error("listener bug");
      },
      onUpdate: () => {
        throw new Error("listener bug");
      },
    });
    await timers.scheduled(1);
    endpoint.respond = serving(document(partner, { sequence: 1, hint: 60 }));
    timers.fire();
    expect((await watch.ready).sequenceNumber).toBe(1);
    expect(await timers.scheduled(2)).toBe(60_000);
  });

  test("initialBundle is current at once and replaced by newer ones; one of another trust domain is refused", async () => {
    const h = harness(() => new Promise<Response>(() => {})); // the endpoint never answers
    const initial = SpiffeBundle.fromBundles(TD, { x509: partner.x509Bundle, sequenceNumber: 1 });
    using watch = watchBundle(h.endpoint.url, h.options({ initialBundle: initial, timeoutMs: 50 }));
    expect(await watch.ready).toBe(initial);
    expect(watch.bundle).toBe(initial);
    await h.timers.scheduled(1);
    expect(h.errors[0]?.code).toBe("ERR_FEDERATION_TIMEOUT");
    await expectInvalidArgument(() => watchBundle(h.endpoint.url, h.options({ initialBundle: SpiffeBundle.fromBundles("stranger.example", {}) })), "initialBundle", ConfigError);
  });
});

describe("watchBundle: close and options", () => {
  test("close() stops the timer, aborts a poll in flight and rejects ready with ERR_FEDERATION_CLOSED", async () => {
    let aborted = false;
    const h = harness((request) => new Promise<Response>((_, reject) => request.signal.addEventListener("abort", () => ((aborted = true), reject(request.signal.reason)))));
    const watch = watchBundle(h.endpoint.url, h.options());
    await waitUntil(() => h.endpoint.requests === 1, "the first request");
    watch.close();
    await expect(watch.ready).rejects.toMatchObject({ code: "ERR_FEDERATION_CLOSED" });
    await waitUntil(() => aborted, "the request to be aborted");
    await new Promise((r) => setTimeout(r, 20));
    expect(h.timers.pending).toBe(0);
    expect(h.errors).toEqual([]); // closing is not an error
    watch.close(); // idempotent
  });

  test("close() after the first bundle clears the scheduled poll", async () => {
    const h = harness(serving(document(partner, { sequence: 1, hint: 60 })));
    const watch = watchBundle(h.endpoint.url, h.options());
    await watch.ready;
    await h.timers.scheduled(1);
    expect(h.timers.pending).toBe(1);
    watch.close();
    expect(h.timers.pending).toBe(0);
    expect(watch.bundle?.sequenceNumber).toBe(1);
  });

  test("invalid options throw at once: ConfigError naming the option", async () => {
    const h = harness(serving("{}"));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ minRefreshMs: 10_000, maxRefreshMs: 1000 }, "minRefreshMs"],
      [{ minRefreshMs: -1 }, "minRefreshMs"],
      [{ maxRefreshMs: 0 }, "maxRefreshMs"],
      [{ onUpdate: "x" }, "onUpdate"],
      [{ timers: {} }, "timers"],
      [{ trustDomain: "Not A TD" }, "trustDomain"],
    ];
    for (const [extra, option] of cases) {
      await expectInvalidArgument(() => watchBundle(h.endpoint.url, h.options(extra as never)).close(), option, ConfigError);
    }
    expect(() => watchBundle("http://insecure.example/", h.options())).toThrow(FederationError);
    expect(h.endpoint.requests).toBe(0);
  });
});
