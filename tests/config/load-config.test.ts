import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigLoadError, loadConfig } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/core/errors/config-error.ts";
import { SpiffeId } from "../../src/core/spiffeid/spiffe-id.ts";
import { parseCommandArgs } from "../../src/cli/command.ts";
import { proxyServer } from "../../src/cli/commands/proxy-server.ts";
import { parseListenAddress as parseCliListen } from "../../src/cli/proxy/listen-address.ts";
import { peerPolicyOf } from "../../src/cli/proxy/peer-policy.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function problemsOf(p: Promise<unknown>): Promise<Array<{ path: string; message: string }>> {
  try {
    await p;
  } catch (err) {
    expect(err instanceof ConfigLoadError && err instanceof ConfigError).toBe(true);
    expect((err as ConfigLoadError).code).toBe("ERR_INVALID_ARGUMENT");
    return [...(err as ConfigLoadError).problems];
  }
  throw new Error("expected a ConfigLoadError");
}

describe("loadConfig", () => {
  test("YAML file, with environment variables overriding it", async () => {
    const path = file("ok.yaml", `workload-api:\n  address: unix:///run/agent.sock\n  timeout-ms: 3000\nlisten: ["0.0.0.0:8443", "[::1]:9443"]\nhealth: ":8080"\ntimeouts: { idle-ms: 5000 }\npool: { max-idle: 5 }\npeers: { trust-domain: example.org }\n`);
    const c = await loadConfig({ file: path, env: { SPIFFE_TS_TIMEOUT_HEADERS_MS: "2000" } });
    expect(c.workloadApi).toEqual({ address: "unix:///run/agent.sock", timeoutMs: 3000 });
    expect(c.listen).toEqual([{ hostname: "0.0.0.0", port: 8443 }, { hostname: "::1", port: 9443 }]);
    expect(c.health).toEqual({ hostname: undefined, port: 8080 });
    expect(c.timeouts).toEqual({ idleMs: 5000, headersMs: 2000 });
    expect(c.pool).toEqual({ maxIdle: 5 });
    expect(c.peers).toEqual({ kind: "allow", ids: [], trustDomains: ["example.org"] });
    expect(c.file).toBe(path);
    await c.authorizer(SpiffeId.parse("spiffe://example.org/a"), []);
    await expect(Promise.resolve().then(() => c.authorizer(SpiffeId.parse("spiffe://other.org/a"), []))).rejects.toMatchObject({ code: "ERR_AUTHZ_TRUST_DOMAIN" });

    const overridden = await loadConfig({ file: path, env: { SPIFFE_ENDPOINT_SOCKET: "tcp://127.0.0.1:8081", SPIFFE_TS_PEERS: "ids:spiffe://example.org/a, spiffe://example.org/b" } });
    expect(overridden.workloadApi.address).toBe("tcp://127.0.0.1:8081");
    expect(overridden.peers).toEqual({ kind: "allow", ids: ["spiffe://example.org/a", "spiffe://example.org/b"], trustDomains: [] });
  });

  test("JSON file named by SPIFFE_TS_CONFIG; no file and no env gives defaults with peers any", async () => {
    const path = file("ok.json", JSON.stringify({ listen: [":8443"], peers: "any" }));
    const c = await loadConfig({ env: { SPIFFE_TS_CONFIG: path } });
    expect(c.listen).toEqual([{ hostname: undefined, port: 8443 }]);
    expect(c.peers).toEqual({ kind: "any" });
    const d = await loadConfig({ env: {} });
    expect(d).toMatchObject({ listen: [], health: undefined, timeouts: {}, pool: {}, peers: { kind: "any" }, file: undefined });
    expect(await problemsOf(loadConfig({ env: {}, requirePeers: true }))).toEqual([{ path: "peers", message: expect.stringContaining("required") }]);
  });

  test("every problem of file and environment is listed at once", async () => {
    const path = file("bad.yaml", `workload-api:\n  address: http://nope\n  timeout-ms: -5\nlisten: ["0.0.0.0:99999", ":8443"]\nhealth: 12\ntimeouts: { idel-ms: 3 }\npool: { max-idle: 0 }\npeers: { trust-domain: "Bad TD" }\n`);
    const problems = await problemsOf(loadConfig({ file: path, env: { SPIFFE_TS_TIMEOUT_HEADERS_MS: "soon" } }));
    expect(problems.map((p) => p.path)).toEqual([
      "workload-api.address",
      "workload-api.timeout-ms",
      "listen.0",
      "health",
      "timeouts.headers-ms",
      "timeouts.idel-ms",
      "pool.max-idle",
      "peers.trust-domain",
    ]);
    expect(problems.find((p) => p.path === "timeouts.headers-ms")!.message).toContain("SPIFFE_TS_TIMEOUT_HEADERS_MS");
    expect(problems.find((p) => p.path === "listen.0")!.message).toContain("out of range");
    expect(problems.find((p) => p.path === "timeouts.idel-ms")!.message).toContain("unknown key");
  });

  test("bad JSON, bad YAML, missing file, bad ids and peers from the environment", async () => {
    expect((await problemsOf(loadConfig({ file: file("bad.json", "{ nope"), env: {} })))[0]!.message).toContain("not valid JSON");
    expect((await problemsOf(loadConfig({ file: file("bad2.yaml", "a: [1\nb: }"), env: {} })))[0]!.message).toContain("not valid YAML");
    expect((await problemsOf(loadConfig({ file: join(dir, "missing.yaml"), env: {} })))[0]!.message).toContain("ENOENT");
    const p = await problemsOf(loadConfig({ env: { SPIFFE_TS_PEERS: "ids:spiffe://example.org/a,https://x", SPIFFE_TS_LISTEN: "nope", SPIFFE_ENDPOINT_SOCKET: "unix:relative" } }));
    expect(p.map((x) => x.path).sort()).toEqual(["listen.0", "peers.ids.1", "workload-api.address"]);
    expect(p.every((x) => x.message.includes("from environment variable"))).toBe(true);
    expect((await problemsOf(loadConfig({ env: { SPIFFE_TS_PEERS: "everyone" } })))[0]!.path).toBe("peers");
    expect((await problemsOf(loadConfig({ file: file("list.yaml", "- a\n"), env: {} })))[0]!.message).toContain("expected a mapping");
  });

  test("one peer-policy model: IDs and trust domains together, from the file or SPIFFE_TS_PEERS, as the CLI flags give them", async () => {
    const path = file("both.yaml", "peers:\n  ids: [spiffe://example.org/web]\n  trust-domains: [partner.org, other.org]\n");
    const c = await loadConfig({ file: path, env: {} });
    expect(c.peers).toEqual({ kind: "allow", ids: ["spiffe://example.org/web"], trustDomains: ["partner.org", "other.org"] });
    await c.authorizer(SpiffeId.parse("spiffe://example.org/web"), []);
    await c.authorizer(SpiffeId.parse("spiffe://other.org/anything"), []);
    await expect(Promise.resolve().then(() => c.authorizer(SpiffeId.parse("spiffe://example.org/db"), []))).rejects.toMatchObject({ code: "ERR_AUTHZ_DENIED" });
    const fromEnv = await loadConfig({ env: { SPIFFE_TS_PEERS: "ids:spiffe://example.org/web; trust-domains:partner.org,other.org" } });
    expect(fromEnv.peers).toEqual(c.peers);
    const cli = parseCommandArgs(proxyServer, ["--target", "http://127.0.0.1:1", "--allow", "spiffe://example.org/web", "--allow-td", "partner.org", "--allow-td", "other.org"]);
    expect(peerPolicyOf(cli, { ids: "allow", trustDomains: "allow-td", any: "allow-any" })).toEqual(c.peers);
    expect(await problemsOf(loadConfig({ file: file("none.yaml", "peers: {}\n"), env: {} }))).toEqual([{ path: "peers", message: expect.stringContaining("at least one") }]);
  });

  test("one listen-address syntax: loadConfig and the CLI flags read the same text the same way", async () => {
    const cases: Array<[string, { hostname: string | undefined; port: number } | string]> = [
      ["0.0.0.0:8443", { hostname: "0.0.0.0", port: 8443 }],
      ["[::1]:9443", { hostname: "::1", port: 9443 }],
      [":8080", { hostname: undefined, port: 8080 }],
      ["8080", { hostname: undefined, port: 8080 }],
      ["localhost:0", { hostname: "localhost", port: 0 }],
      ["[1:2:3]:80", "is not an IPv6 address"],
      ["[not-v6]:80", "expected"],
      ["host:99999", "out of range"],
      ["host:port", "expected"],
    ];
    for (const [text, want] of cases) {
      const fromConfig = await loadConfig({ env: { SPIFFE_TS_HEALTH: text } }).then((c) => c.health, async (err) => (await problemsOf(Promise.reject(err)))[0]!.message);
      let fromCli: unknown;
      try {
        fromCli = parseCliListen("health", text, "DEFAULT");
      } catch (err) {
        fromCli = (err as Error).message;
      }
      if (typeof want === "string") {
        expect({ text, fromConfig }).toEqual({ text, fromConfig: expect.stringContaining(want) });
        expect({ text, fromCli }).toEqual({ text, fromCli: expect.stringContaining(want) });
      } else {
        expect({ text, fromConfig }).toEqual({ text, fromConfig: want });
        expect({ text, fromCli }).toEqual({ text, fromCli: { hostname: want.hostname ?? "DEFAULT", port: want.port } });
      }
    }
  });
});
