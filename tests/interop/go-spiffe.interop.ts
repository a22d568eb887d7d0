// go-spiffe interoperability: a Go program built on github.com/spiffe/go-spiffe/v2
// (tests/interop/go) and this SDK, each getting SVIDs from our development Workload API
// server (one socket per workload, one test CA), talk SPIFFE mTLS in both directions and
// validate each other's JWT-SVIDs. Run with `npm run test:interop` (Bun, Node and Deno).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorizeId, getSpiffeId, JwtSource, JwtSvid, WorkloadApiClient, X509Source } from "../../mod.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { createTestCa, startWorkloadApiServer, type TestCa, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { buildGoProgram, type GoProcess, goSpiffeVersion, goVersion, runGo, startGo } from "./go-program.ts";

const { createMtlsClient, serveMtls } = runtimeEntry;
const TD = "spiffe://example.org";
const WORKLOADS = ["ts-server", "ts-client", "go-server", "go-client", "go-intruder", "ts-intruder"] as const;
type Workload = (typeof WORKLOADS)[number];

const go = goVersion();
if (!go) console.log("skip: go-spiffe interop tests need Go (`go` not found on PATH)");


(go ? describe : describe.skip)(`go-spiffe ${goSpiffeVersion()} interop on ${runtime}`, () => {
  let bin: string;
  let dir: string;
  let ca: TestCa;
  const agents = {} as Record<Workload, WorkloadApiServer>;
  const sources = {} as Record<"ts-server" | "ts-client" | "ts-intruder", X509Source>;
  const addr = (w: Workload): string => agents[w].address;

  beforeAll(async () => {
    bin = buildGoProgram()!;
    dir = mkdtempSync(join(tmpdir(), "spiffe-ts-interop-"));
    ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
    for (const w of WORKLOADS) agents[w] = await startWorkloadApiServer({ socketPath: join(dir, `${w}.sock`), ca, workloads: [{ id: `${TD}/${w}` }] });
    for (const w of ["ts-server", "ts-client", "ts-intruder"] as const) sources[w] = await X509Source.create({ address: addr(w), timeoutMs: 10_000 });
  }, 300_000);

  afterAll(async () => {
    for (const s of Object.values(sources)) await s.close();
    for (const a of Object.values(agents)) await a.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("go-spiffe's X509Source accepts our development server as a Workload API", async () => {
    const r = await runGo(bin, ["id", "-socket", addr("go-client")]);
    expect(r.stdout.trim()).toBe(`ID ${TD}/go-client`);
    expect(r.status).toBe(0);
  });

  describe("our createMtlsClient → go-spiffe server (MTLSServerConfig + AuthorizeID)", () => {
    let server: GoProcess;
    let url: string;

    beforeAll(async () => {
      server = startGo(bin, ["serve", "-socket", addr("go-server"), "-authorize", `${TD}/ts-client`]);
      url = `https://127.0.0.1:${(await server.waitFor(/LISTENING (\d+)/))[1]}/`;
    });
    afterAll(async () => {
      await server?.stop();
    });

    test("each side sees the other's SPIFFE ID", async () => {
      const client = createMtlsClient({ source: sources["ts-client"], authorizer: authorizeId(`${TD}/go-server`) });
      try {
        const response = await client.get(url);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(`go-spiffe server ${TD}/go-server saw ${TD}/ts-client`);
        expect(getSpiffeId(response)?.toString()).toBe(`${TD}/go-server`);
        await server.waitFor(new RegExp(`CLIENT ${TD}/ts-client`));
      } finally {
        await client.close();
      }
    });

    test("our client refuses the go server when it expects another ID", async () => {
      const before = server.stdout();
      const client = createMtlsClient({ source: sources["ts-client"], authorizer: authorizeId(`${TD}/someone-else`) });
      try {
        const err = await client.get(url).then(() => undefined, (e: unknown) => e);
        expect((err as { code?: string } | undefined)?.code).toBe("ERR_AUTHZ_UNEXPECTED_ID");
      } finally {
        await client.close();
      }
      expect(server.stdout()).toBe(before); // no request reached the go handler
    });

    test("the go server's AuthorizeID refuses a client with another ID of the trust domain", async () => {
      const before = server.stdout();
      // With TLS 1.3 the client learns of the refusal only after its handshake completed (an
      // alert in place of the first response). timeoutMs bounds the wait: our HTTP/2 client can
      // miss that alert when the socket is already closed when the session starts (known issue).
      const client = createMtlsClient({ source: sources["ts-intruder"], authorizer: authorizeId(`${TD}/go-server`), timeoutMs: 5_000 });
      try {
        const err = await client.get(url).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
      } finally {
        await client.close();
      }
      expect(server.stdout()).toBe(before); // the go handler never ran
      await waitUntil(() => server.stderr().includes(`unexpected ID "${TD}/ts-intruder"`), "go-spiffe's AuthorizeID refusal", 5_000);
    });
  });

  describe("go-spiffe client (MTLSClientConfig + AuthorizeID) → our serveMtls", () => {
    let server: Awaited<ReturnType<typeof serveMtls>>;
    let url: string;
    const seen: string[] = [];

    beforeAll(async () => {
      server = await serveMtls({
        source: sources["ts-server"],
        authorizer: authorizeId(`${TD}/go-client`),
        hostname: "127.0.0.1",
        port: 0,
        fetch: (request) => {
          seen.push(String(getSpiffeId(request)));
          return new Response(`hello ${getSpiffeId(request)}`);
        },
      });
      url = `https://127.0.0.1:${server.port}/`;
    });
    afterAll(async () => {
      await server?.close();
    });

    test("each side sees the other's SPIFFE ID", async () => {
      const r = await runGo(bin, ["get", "-socket", addr("go-client"), "-url", url, "-server-id", `${TD}/ts-server`]);
      expect(r.stdout).toBe(`SERVER ${TD}/ts-server\nSTATUS 200\nBODY hello ${TD}/go-client\n`);
      expect(r.status).toBe(0);
      expect(seen).toEqual([`${TD}/go-client`]);
    });

    test("the go client refuses our server when it expects another ID", async () => {
      const r = await runGo(bin, ["get", "-socket", addr("go-client"), "-url", url, "-server-id", `${TD}/someone-else`]);
      expect(r.stdout).toContain(`SERVER ${TD}/ts-server\nERROR `);
      expect(r.stdout).toContain(`unexpected ID "${TD}/ts-server"`);
      expect(r.status).toBe(1);
      expect(seen).toEqual([`${TD}/go-client`]);
    });

    test("our server refuses a go client with an unauthorized ID before any request", async () => {
      const r = await runGo(bin, ["get", "-socket", addr("go-intruder"), "-url", url, "-server-id", `${TD}/ts-server`]);
      expect(r.stdout).toMatch(/ERROR /);
      expect(r.stdout).not.toContain("STATUS");
      expect(r.status).toBe(1);
      expect(seen).toEqual([`${TD}/go-client`]);
    });
  });

  describe("JWT-SVIDs", () => {
    test("a JWT-SVID our client fetched validates in go-spiffe (jwtsvid.ParseAndValidate and ValidateJWTSVID)", async () => {
      await using client = new WorkloadApiClient({ address: addr("ts-client") });
      const svid = await client.fetchJwtSvid({ audience: "go-server", timeoutMs: 10_000 });
      expect(svid.id.toString()).toBe(`${TD}/ts-client`);
      const local = await runGo(bin, ["jwt-validate", "-socket", addr("go-server"), "-audience", "go-server"], svid.token);
      expect(local.stdout).toBe(`VALID ${TD}/ts-client\n`);
      const api = await runGo(bin, ["jwt-validate-api", "-socket", addr("go-server"), "-audience", "go-server"], svid.token);
      expect(api.stdout).toBe(`VALID ${TD}/ts-client\n`);
    });

    test("go-spiffe refuses our JWT-SVID for another audience, locally and via the Workload API", async () => {
      await using client = new WorkloadApiClient({ address: addr("ts-client") });
      const svid = await client.fetchJwtSvid({ audience: "someone-else", timeoutMs: 10_000 });
      const local = await runGo(bin, ["jwt-validate", "-socket", addr("go-server"), "-audience", "go-server"], svid.token);
      expect(local.stdout).toMatch(/^ERROR .*audience/);
      expect(local.status).toBe(1);
      const api = await runGo(bin, ["jwt-validate-api", "-socket", addr("go-server"), "-audience", "go-server"], svid.token);
      expect(api.stdout).toMatch(/^ERROR .*InvalidArgument/);
      expect(api.status).toBe(1);
    });

    test("a JWT-SVID go-spiffe fetched validates with our JwtSource bundles and our validateJwtSvid", async () => {
      const r = await runGo(bin, ["jwt-fetch", "-socket", addr("go-client"), "-audience", "ts-server"]);
      const token = /^TOKEN (\S+)\n$/.exec(r.stdout)?.[1];
      expect(token).toBeDefined();
      await using source = await JwtSource.create({ address: addr("ts-server"), timeoutMs: 10_000 });
      const svid = await JwtSvid.parseAndValidate(token!, source, "ts-server");
      expect(svid.id.toString()).toBe(`${TD}/go-client`);
      await using client = new WorkloadApiClient({ address: addr("ts-server") });
      expect((await client.validateJwtSvid(token!, "ts-server", { timeoutMs: 10_000 })).id.toString()).toBe(`${TD}/go-client`);
      const err = await JwtSvid.parseAndValidate(token!, source, "ts-other").then(() => undefined, (e: unknown) => e);
      expect((err as { code?: string } | undefined)?.code).toBe("ERR_JWT_SVID_AUDIENCE_MISMATCH");
    });

    test("a JWT-SVID minted by our test CA (ES256 by default) validates in go-spiffe", async () => {
      const issued = await ca.issueJwtSvid({ id: `${TD}/minted`, audience: ["go-server", "extra"] });
      const r = await runGo(bin, ["jwt-validate", "-socket", addr("go-server"), "-audience", "go-server"], issued.token);
      expect(r.stdout).toBe(`VALID ${TD}/minted\n`);
    });
  });
});
