// The SDK against a real SPIRE server and agent (tests/spire/spire-harness.ts), on the runtime
// that runs the test. Run with `npm run test:spire` (builds SPIRE first; Bun, Node and Deno).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realpathSync } from "node:fs";
import { authorizeId, getSpiffeId, JwtSvid } from "../../mod.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { type Spire, SPIRE_VERSION, spireBinDir, startSpire } from "./spire-harness.ts";
import { JwtSource, WorkloadApiClient, X509Source } from "../../src/adapters/node/mod.ts";

const { createMtlsClient, serveMtls } = runtimeEntry;
const TD = "spiffe://example.org";
const built = spireBinDir() !== undefined;
if (!built) console.log("skip: SPIRE is not built (run `npm run test:spire`, which builds it with Go)");

const codeOf = (e: unknown): string | undefined => (e as { code?: string } | undefined)?.code;

(built ? describe : describe.skip)(`SPIRE ${SPIRE_VERSION} on ${runtime}`, () => {
  let spire: Spire;

  beforeAll(async () => {
    spire = await startSpire({ x509SvidTtlSeconds: 60 });
  }, 90_000);

  afterAll(async () => {
    await spire?.stop();
  });

  test("an unregistered workload gets SPIRE's PermissionDenied as our clear error, not a hang", async () => {
    const started = Date.now();
    await using client = new WorkloadApiClient({ address: spire.address });
    const err = await client.fetchX509Context({ timeoutMs: 20_000 }).then(() => undefined, (e: unknown) => e);
    expect(codeOf(err)).toBe("ERR_WORKLOAD_API_PERMISSION_DENIED");
    const jwtErr = await client.fetchJwtSvid({ audience: "x", timeoutMs: 20_000 }).then(() => undefined, (e: unknown) => e);
    expect(codeOf(jwtErr)).toBe("ERR_WORKLOAD_API_PERMISSION_DENIED");
    const sourceErr = await X509Source.create({ address: spire.address, timeoutMs: 3_000 }).then(() => undefined, (e: unknown) => e);
    expect(codeOf(sourceErr)).toBe("ERR_WORKLOAD_API_TIMEOUT");
    expect(String((sourceErr as Error).message)).toMatch(/PERMISSION_DENIED|PermissionDenied|permission/i);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  describe("registered workload (unix:uid + unix:path of this runtime, two entries told apart by hint)", () => {
    let serverSource: X509Source;
    let clientSource: X509Source;
    const byHint = (hint: string) => (svids: readonly { hint: string }[]) => svids.find((s) => s.hint === hint) as never;

    beforeAll(async () => {
      const selectors = [`unix:uid:${process.getuid?.() ?? 0}`, `unix:path:${realpathSync(process.execPath)}`];
      spire.register([
        { spiffeId: `${TD}/ts-server`, selectors, hint: "server", x509SvidTtlSeconds: 30 },
        { spiffeId: `${TD}/ts-client`, selectors, hint: "client" },
      ]);
      await using probe = new WorkloadApiClient({ address: spire.address });
      await waitUntil(async () => (await probe.fetchX509Context({ timeoutMs: 5_000 }).catch(() => undefined))?.svids.length === 2, "both SVIDs from the agent", 40_000, 200);
      serverSource = await X509Source.create({ address: spire.address, picker: byHint("server"), timeoutMs: 20_000 });
      clientSource = await X509Source.create({ address: spire.address, picker: byHint("client"), timeoutMs: 20_000 });
    }, 90_000);

    afterAll(async () => {
      await serverSource?.close();
      await clientSource?.close();
    });

    test("X509Source gets its SVID and bundle from the real agent", () => {
      const svid = serverSource.getX509Svid();
      expect(svid.id.toString()).toBe(`${TD}/ts-server`);
      expect(svid.hint).toBe("server");
      expect(clientSource.getX509Svid().id.toString()).toBe(`${TD}/ts-client`);
      expect(serverSource.getX509BundleForTrustDomain("example.org")).toBeDefined();
      const ttl = svid.expiresAt.getTime() - Date.now();
      expect(ttl).toBeLessThanOrEqual(31_000);
    });

    test("mTLS server and client talk with real SVIDs; a wrong-ID client is refused", async () => {
      const seen: string[] = [];
      const server = await serveMtls({
        source: serverSource,
        authorizer: authorizeId(`${TD}/ts-client`),
        hostname: "127.0.0.1",
        port: 0,
        fetch: (request) => {
          seen.push(String(getSpiffeId(request)));
          return new Response(`hello ${getSpiffeId(request)}`);
        },
      });
      const url = `https://127.0.0.1:${server.port}/`;
      const client = createMtlsClient({ source: clientSource, authorizer: authorizeId(`${TD}/ts-server`) });
      const wrongClient = createMtlsClient({ source: serverSource, authorizer: authorizeId(`${TD}/ts-server`), timeoutMs: 5_000 });
      const picky = createMtlsClient({ source: clientSource, authorizer: authorizeId(`${TD}/someone-else`) });
      try {
        const response = await client.get(url);
        expect(await response.text()).toBe(`hello ${TD}/ts-client`);
        expect(getSpiffeId(response)?.toString()).toBe(`${TD}/ts-server`);
        expect(await wrongClient.get(url).then(() => undefined, (e: unknown) => e)).toBeInstanceOf(Error);
        expect(codeOf(await picky.get(url).then(() => undefined, (e: unknown) => e))).toBe("ERR_AUTHZ_UNEXPECTED_ID");
        expect(seen).toEqual([`${TD}/ts-client`]);
      } finally {
        await Promise.all([client.close(), wrongClient.close(), picky.close()]);
        await server.close();
      }
    });

    test("JWT-SVIDs from SPIRE validate locally with JwtSource bundles and via ValidateJWTSVID", async () => {
      await using jwt = await JwtSource.create({ address: spire.address, timeoutMs: 20_000 });
      const svid = await jwt.fetchJwtSvid({ audience: "spire-test", subject: `${TD}/ts-client` });
      expect(svid.id.toString()).toBe(`${TD}/ts-client`);
      const local = await JwtSvid.parseAndValidate(svid.token, jwt, "spire-test");
      expect(local.id.toString()).toBe(`${TD}/ts-client`);
      expect(codeOf(await JwtSvid.parseAndValidate(svid.token, jwt, "other").then(() => undefined, (e: unknown) => e))).toBe("ERR_JWT_SVID_AUDIENCE_MISMATCH");
      await using client = new WorkloadApiClient({ address: spire.address });
      const validated = await client.validateJwtSvid(svid.token, "spire-test", { timeoutMs: 10_000 });
      expect(validated.id.toString()).toBe(`${TD}/ts-client`);
      expect(codeOf(await client.validateJwtSvid(svid.token, "other", { timeoutMs: 10_000 }).then(() => undefined, (e: unknown) => e))).toMatch(/^ERR_WORKLOAD_API_/);
    });

    test("rotation by SPIRE (30 s SVID TTL) is picked up without restart: a new serial", async () => {
      const first = serverSource.getX509Svid().serialNumber;
      await waitUntil(() => serverSource.getX509Svid().serialNumber !== first, "a rotated SVID", 50_000, 200);
      expect(serverSource.getX509Svid().id.toString()).toBe(`${TD}/ts-server`);
    });

    test("the agent restarts mid-test and the source recovers (new SVIDs from the new agent)", async () => {
      const before = clientSource.getX509Svid().serialNumber;
      await spire.stopAgent();
      expect(clientSource.getX509Svid().serialNumber).toBe(before); // keeps the last SVID while the agent is away
      await spire.startAgent();
      await waitUntil(() => clientSource.getX509Svid().serialNumber !== before, "an SVID from the restarted agent", 50_000, 200);
      expect(clientSource.getX509Svid().id.toString()).toBe(`${TD}/ts-client`);
    });
  });
});
