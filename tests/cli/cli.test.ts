// The spiffe-ts CLI end to end against the development Workload API, on the test's runtime.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCa, startWorkloadApiServer, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { X509Svid } from "../../src/core/svid/x509/x509-svid.ts";
import { runCli } from "./cli-process.ts";

let dir = "";
let agent: WorkloadApiServer;
let env: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-cli-"));
  const ca = await createTestCa({ trustDomain: "example.org" });
  const federated = await createTestCa({ trustDomain: "partner.org" });
  agent = await startWorkloadApiServer({ socketPath: join(dir, "agent.sock"), ca, workloads: [{ id: "spiffe://example.org/web" }], federatedBundles: [federated] });
  env = { SPIFFE_ENDPOINT_SOCKET: agent.address };
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("spiffe-ts x509 fetch", () => {
  test("prints the SVID and bundles", async () => {
    const r = await runCli(["x509", "fetch"], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("SVID spiffe://example.org/web");
    expect(r.stdout).toContain("bundle example.org: 1 authority");
    expect(r.stdout).toContain("bundle partner.org");
  });

  test("--write writes svid.pem, svid_key.pem (0600), bundle.pem and federated bundles that parse", async () => {
    const out = join(dir, "fetch-out");
    const r = await runCli(["x509", "fetch", "--write", out, "--json"], env);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.spiffeId).toBe("spiffe://example.org/web");
    expect(Object.keys(json.bundles).sort()).toEqual(["example.org", "partner.org"]);
    expect(json.written.length).toBe(4);
    expect(JSON.stringify(json)).not.toContain("PRIVATE KEY");
    expect(statSync(join(out, "svid_key.pem")).mode & 0o777).toBe(0o600);
    const svid = await X509Svid.parse(readFileSync(join(out, "svid.pem"), "utf8"), readFileSync(join(out, "svid_key.pem"), "utf8"));
    expect(svid.id.toString()).toBe("spiffe://example.org/web");
    expect(readFileSync(join(out, "bundle.pem"), "utf8")).toContain("BEGIN CERTIFICATE");
    expect(existsSync(join(out, "federated_bundle.partner.org.pem"))).toBe(true);
  });

  test("no socket: exit 3 with ERR_WORKLOAD_API_UNAVAILABLE in --json", async () => {
    const r = await runCli(["x509", "fetch", "--json", "--timeout", "5s"], { SPIFFE_ENDPOINT_SOCKET: `unix://${join(dir, "missing.sock")}` });
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stderr).error.code).toBe("ERR_WORKLOAD_API_UNAVAILABLE");
  });

  test("bad address: exit 2", async () => {
    const r = await runCli(["x509", "fetch", "--address", "http://127.0.0.1:1", "--json"]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr).error.code).toBe("ERR_WORKLOAD_API_ADDRESS_SCHEME");
  });

  test("no address at all: exit 2 naming SPIFFE_ENDPOINT_SOCKET", async () => {
    const r = await runCli(["x509", "fetch"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SPIFFE_ENDPOINT_SOCKET");
  });
});

describe("spiffe-ts jwt", () => {
  test("fetch prints the token; validate accepts it for its audience (exit 0) and refuses another (exit 4)", async () => {
    const fetched = await runCli(["jwt", "fetch", "--audience", "api", "--json"], env);
    expect(fetched.status).toBe(0);
    const json = JSON.parse(fetched.stdout);
    expect(json.id).toBe("spiffe://example.org/web");
    expect(json.audience).toEqual(["api"]);
    const plain = await runCli(["jwt", "fetch", "--audience", "api", "--spiffe-id", "spiffe://example.org/web"], env);
    expect(plain.status).toBe(0);
    const token = plain.stdout.trim();
    expect(token.split(".").length).toBe(3);

    const ok = await runCli(["jwt", "validate", "--audience", "api", "--json", token], env);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, spiffeId: "spiffe://example.org/web" });
    const bad = await runCli(["jwt", "validate", "--audience", "other", "--json", token], env);
    expect(bad.status).toBe(4);
    expect(JSON.parse(bad.stderr).error.code).toBe("ERR_CLI_JWT_INVALID");
    const garbage = await runCli(["jwt", "validate", "--audience", "api", "not-a-token"], env);
    expect(garbage.status).toBe(4);
  });

  test("fetch without --audience, validate without TOKEN: exit 2", async () => {
    expect((await runCli(["jwt", "fetch"], env)).status).toBe(2);
    const r = await runCli(["jwt", "validate", "--audience", "a"], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("missing TOKEN");
  });

  test("fetch with an empty --audience or a --spiffe-id that is no SPIFFE ID: the SDK's ERR_INVALID_ARGUMENT, exit 2", async () => {
    for (const args of [["--audience", ""], ["--audience", "a", "--spiffe-id", "not-an-id"]]) {
      const r = await runCli(["jwt", "fetch", ...args, "--json"], env);
      expect({ args, status: r.status, code: JSON.parse(r.stderr).error.code }).toEqual({ args, status: 2, code: "ERR_INVALID_ARGUMENT" });
    }
  });

  test("fetch for an ID the workload does not have: Workload API error, exit 3", async () => {
    const r = await runCli(["jwt", "fetch", "--audience", "a", "--spiffe-id", "spiffe://example.org/other", "--json"], env);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stderr).error.code).toMatch(/^ERR_WORKLOAD_API_/);
  });
});

describe("spiffe-ts bundle show", () => {
  test("pem (default) and jwks, plain and --json", async () => {
    const pem = await runCli(["bundle", "show"], env);
    expect(pem.status).toBe(0);
    expect(pem.stdout).toContain("# example.org\n-----BEGIN CERTIFICATE-----");
    const pemJson = JSON.parse((await runCli(["bundle", "show", "--json"], env)).stdout);
    expect(pemJson.format).toBe("pem");
    expect(pemJson.bundles["example.org"]).toContain("BEGIN CERTIFICATE");
    const jwks = JSON.parse((await runCli(["bundle", "show", "--format", "jwks"], env)).stdout);
    expect(jwks["example.org"].keys.length).toBeGreaterThanOrEqual(1);
    const jwksJson = JSON.parse((await runCli(["bundle", "show", "--format", "jwks", "--json"], env)).stdout);
    expect(jwksJson.bundles["example.org"].keys[0].use).toBe("jwt-svid");
  });

  test("unknown format: exit 2", async () => {
    expect((await runCli(["bundle", "show", "--format", "der"], env)).status).toBe(2);
  });
});

describe("spiffe-ts inspect", () => {
  test("an X.509-SVID chain and a JWT-SVID, plain and --json; garbage exits 4, missing file 1", async () => {
    const svid = await agent.ca.issueX509Svid({ id: "spiffe://example.org/inspected" });
    const certFile = join(dir, "inspect.pem");
    writeFileSync(certFile, svid.certificatesPem);
    const plain = await runCli(["inspect", certFile]);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain("X.509 SVID spiffe://example.org/inspected");
    expect(plain.stdout).toContain("key:      EC P-256");
    const json = JSON.parse((await runCli(["inspect", "--json", certFile])).stdout);
    expect(json.type).toBe("x509");
    expect(json.spiffeId).toBe("spiffe://example.org/inspected");
    expect(json.certificates[0].uriSans).toEqual(["spiffe://example.org/inspected"]);

    const jwt = await agent.ca.issueJwtSvid({ id: "spiffe://example.org/inspected", audience: ["x"] });
    const tokenFile = join(dir, "token.jwt");
    writeFileSync(tokenFile, `${jwt.token}\n`);
    const tj = JSON.parse((await runCli(["inspect", "--json", tokenFile])).stdout);
    expect(tj).toMatchObject({ type: "jwt-svid", id: "spiffe://example.org/inspected", audience: ["x"], signatureVerified: false });

    const junk = join(dir, "junk.pem");
    writeFileSync(junk, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const bad = await runCli(["inspect", "--json", junk]);
    expect(bad.status).toBe(4);
    expect(JSON.parse(bad.stderr).error.code).toMatch(/^ERR_X509_SVID_/);
    expect((await runCli(["inspect", join(dir, "nope.pem")])).status).toBe(1);
  });
});

describe("spiffe-ts usage", () => {
  test("--help for the tool and every command (exit 0); no arguments prints help with exit 2", async () => {
    const top = await runCli(["--help"]);
    expect(top.status).toBe(0);
    for (const c of ["x509 fetch", "x509 watch", "jwt fetch", "jwt validate", "bundle show", "inspect", "dev-agent"]) {
      expect(top.stdout).toContain(c);
      const r = await runCli([...c.split(" "), "--help"]);
      expect({ c, status: r.status }).toEqual({ c, status: 0 });
      expect(r.stdout).toContain(`Usage: spiffe-ts ${c}`);
      expect(r.stdout).toContain("--json");
    }
    expect((await runCli([])).status).toBe(2);
  });

  test("--version prints the package version (plain and --json), the same as package.json and deno.json", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const deno = JSON.parse(readFileSync(new URL("../../deno.json", import.meta.url), "utf8")) as { version: string };
    expect(deno.version).toBe(pkg.version);
    const plain = await runCli(["--version"]);
    expect({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr }).toEqual({ status: 0, stdout: `spiffe-ts ${pkg.version}\n`, stderr: "" });
    const json = await runCli(["--version", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({ version: pkg.version });
    expect((await runCli(["--help"])).stdout).toContain("spiffe-ts --version");
  });

  test("unknown command or flag: exit 2 with a hint", async () => {
    const r = await runCli(["x509", "fetc", "--json"]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: "ERR_CLI_UNKNOWN_COMMAND", exitCode: 2 });
    expect(r.stderr).toContain("fetch, watch");
    const flag = await runCli(["x509", "fetch", "--wrte", "x"], env);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("--wrte");
  });
});
