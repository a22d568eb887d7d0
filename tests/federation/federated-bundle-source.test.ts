// FederatedBundleSource: a bundle source over several watched endpoints that verifyX509Svid and
// JwtSvid.parseAndValidate take directly, keeping trust domains apart.
import { beforeAll, describe, expect, test } from "bun:test";
import { combineSources, FederatedBundleSource, FederationError, InvalidArgumentError, JwtSvid, JwtSvidError, SpiffeBundle, verifyX509Svid, X509SvidError } from "../../mod.ts";
import { createTestCa, type TestCa } from "../../src/testing/mod.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { ManualTimers, memoryEndpoint } from "./memory-endpoint.ts";

let alpha: TestCa;
let beta: TestCa;

beforeAll(async () => {
  alpha = await createTestCa({ trustDomain: "alpha.example", intermediate: true });
  beta = await createTestCa({ trustDomain: "beta.example" });
});

function endpointFor(ca: TestCa, sequence = 1) {
  const endpoint = memoryEndpoint(`https://${ca.trustDomain.name}/bundle`);
  endpoint.respond = () => new Response(SpiffeBundle.fromBundles(ca.trustDomain, { x509: ca.x509Bundle, jwt: ca.jwtBundle, sequenceNumber: sequence, refreshHintSeconds: 60 }).toJson());
  return endpoint;
}

describe("FederatedBundleSource", () => {
  test("verifyX509Svid and JwtSvid.parseAndValidate take it directly; each trust domain only by its own bundle", async () => {
    const a = endpointFor(alpha);
    const b = endpointFor(beta);
    const timers = new ManualTimers();
    await using source = await FederatedBundleSource.create(
      [
        { url: a.url, trustDomain: "alpha.example", profile: "https_web", fetch: a.fetch },
        { url: b.url, trustDomain: "beta.example", profile: "https_web", fetch: b.fetch },
      ],
      { timers },
    );
    expect(source.trustDomains.map((td) => td.name)).toEqual(["alpha.example", "beta.example"]);
    const x509 = await alpha.issueX509Svid({ id: "spiffe://alpha.example/web" });
    expect((await verifyX509Svid(x509.certificates, source)).id.toString()).toBe("spiffe://alpha.example/web");
    const jwt = await beta.issueJwtSvid({ id: "spiffe://beta.example/job", audience: "api" });
    expect((await JwtSvid.parseAndValidate(jwt.token, source, "api")).id.toString()).toBe("spiffe://beta.example/job");
    expect(source.getForTrustDomain("beta.example")?.sequenceNumber).toBe(1);
    expect(source.getX509BundleForTrustDomain("gamma.example")).toBeUndefined();

    // beta's CA signing a leaf that claims alpha.example is not verified by beta's bundle.
    const forged = await beta.issueX509Svid({ id: "spiffe://beta.example/x" });
    const forgedAlpha = await createTestCa({ trustDomain: "alpha.example" });
    const forgedLeaf = await forgedAlpha.issueX509Svid({ id: "spiffe://alpha.example/web" });
    await expect(verifyX509Svid(forgedLeaf.certificates, source)).rejects.toBeInstanceOf(X509SvidError);
    expect((await verifyX509Svid(forged.certificates, source)).id.trustDomain.name).toBe("beta.example");
    const unknownJwt = await (await createTestCa({ trustDomain: "gamma.example" })).issueJwtSvid({ id: "spiffe://gamma.example/x", audience: "api" });
    await expect(JwtSvid.parseAndValidate(unknownJwt.token, source, "api")).rejects.toBeInstanceOf(JwtSvidError);
  });

  test("updates flow in; a failing endpoint keeps its last good bundle; lastError says why", async () => {
    const a = endpointFor(alpha, 1);
    const timers = new ManualTimers();
    const updates: string[] = [];
    await using source = await FederatedBundleSource.create([{ url: a.url, trustDomain: "alpha.example", profile: "https_web", fetch: a.fetch }], { timers, onUpdate: (b) => updates.push(`${b.trustDomain.name}#${b.sequenceNumber}`) });
    const held = source.getForTrustDomain("alpha.example");
    a.respond = () => Promise.reject(new TypeError("connection refused"));
    timers.fire();
    await timers.scheduled(2);
    expect(source.getForTrustDomain("alpha.example")).toBe(held);
    expect(source.lastError("alpha.example")?.code).toBe("ERR_FEDERATION_UNREACHABLE");
    await alpha.rotateJwtKey();
    const next = endpointFor(alpha, 2);
    a.respond = next.respond;
    timers.fire();
    await timers.scheduled(3);
    expect(source.getForTrustDomain("alpha.example")?.sequenceNumber).toBe(2);
    expect(updates).toEqual(["alpha.example#1", "alpha.example#2"]);
  });

  test("onUpdate subscribes to later bundles (also through combineSources); unsubscribe stops them; a throwing listener harms no other", async () => {
    const a = endpointFor(alpha, 1);
    const timers = new ManualTimers();
    const fromOption: number[] = [];
    await using source = await FederatedBundleSource.create([{ url: a.url, trustDomain: "alpha.example", profile: "https_web", fetch: a.fetch }], { timers, onUpdate: (b) => fromOption.push(b.sequenceNumber!) });
    const seen: number[] = [];
    let combinedUpdates = 0;
    source.onUpdate(() => {
      throw new Error("listener bug");
    });
    const stop = source.onUpdate((b) => seen.push(b.sequenceNumber!));
    const stopCombined = combineSources({ bundles: [source] }).onUpdate(() => combinedUpdates++);
    a.respond = endpointFor(alpha, 1).respond; // the same bundle again: no update
    timers.fire();
    await timers.scheduled(2);
    await alpha.rotateJwtKey();
    a.respond = endpointFor(alpha, 2).respond;
    timers.fire();
    await timers.scheduled(3);
    expect({ seen, combinedUpdates, fromOption }).toEqual({ seen: [2], combinedUpdates: 1, fromOption: [1, 2] });
    stop();
    stopCombined();
    await alpha.rotateJwtKey();
    a.respond = endpointFor(alpha, 3).respond;
    timers.fire();
    await timers.scheduled(4);
    expect({ seen, combinedUpdates, fromOption }).toEqual({ seen: [2], combinedUpdates: 1, fromOption: [1, 2, 3] });
    expect(() => source.onUpdate("x" as never)).toThrow(InvalidArgumentError);
  });

  test("create: refuses no relationships and two for one trust domain; fails with the endpoint's error when the first bundle does not come in time", async () => {
    const a = endpointFor(alpha);
    const codeOf = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
        return "resolved";
      } catch (err) {
        expect(err).toBeInstanceOf(FederationError);
        return (err as FederationError).code;
      }
    };
    await expectInvalidArgument(FederatedBundleSource.create([]), "relationships");
    const rel = { url: a.url, trustDomain: "alpha.example", profile: "https_web" as const, fetch: a.fetch };
    await expectInvalidArgument(FederatedBundleSource.create([rel, { ...rel, url: "https://mirror.example/bundle" }]), "relationships");
    const down = memoryEndpoint();
    down.respond = () => new Response("no", { status: 502 });
    const timers = new ManualTimers();
    expect(await codeOf(FederatedBundleSource.create([{ url: down.url, trustDomain: "beta.example", profile: "https_web", fetch: down.fetch }], { timeoutMs: 100, timers }))).toBe("ERR_FEDERATION_HTTP_STATUS");
    expect(timers.pending).toBe(0); // its watch was closed
  });

  test("after close the getters throw ERR_FEDERATION_CLOSED and polling stops", async () => {
    const a = endpointFor(alpha);
    const timers = new ManualTimers();
    const source = await FederatedBundleSource.create([{ url: a.url, trustDomain: "alpha.example", profile: "https_web", fetch: a.fetch }], { timers });
    await timers.scheduled(1);
    await source.close();
    expect(timers.pending).toBe(0);
    expect(() => source.getX509BundleForTrustDomain("alpha.example")).toThrow(FederationError);
    const x509 = await alpha.issueX509Svid({ id: "spiffe://alpha.example/web" });
    await expect(verifyX509Svid(x509.certificates, source)).rejects.toBeInstanceOf(X509SvidError);
  });
});
