import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { JwtBundle } from "../../src/core/bundle/jwt-bundle.ts";
import { X509Bundle } from "../../src/core/bundle/x509-bundle.ts";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import { SpiffeId } from "../../src/core/spiffeid/spiffe-id.ts";
import type { X509Context } from "../../src/workloadapi/x509-context.ts";
import { currentRuntimeCommand, delay, errorLog, FAST_BACKOFF, type Fixture, startFixture, waitFor } from "./support.ts";
import { expectInvalidArgument, rejectionOf } from "../support/rejection.ts";
import { ConfigError } from "../../src/core/errors/config-error.ts";
import { WorkloadApiClient } from "../../src/adapters/node/mod.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function rejectionCode(p: Promise<unknown>): Promise<string> {
  return (await rejectionOf(p, WorkloadApiError)).code;
}

function throwCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkloadApiError);
    return (err as WorkloadApiError).code;
  }
  throw new Error("expected a throw");
}

describe("WorkloadApiClient: one-shot calls", () => {
  let f: Fixture;
  let client: WorkloadApiClient;
  beforeAll(async () => {
    f = await startFixture({ workloads: [{ id: "spiffe://example.org/web" }, { id: "spiffe://example.org/db", hint: "db" }] });
    f.server.addFederatedBundle(f.fed);
    client = new WorkloadApiClient({ address: f.server.address });
  });
  afterAll(async () => {
    await client.close();
    await f.dispose();
  });

  test("fetchX509Context returns every SVID, the first as default, own and federated bundles", async () => {
    const ctx = await client.fetchX509Context();
    expect(ctx.svids.map((s) => s.id.toString())).toEqual(["spiffe://example.org/web", "spiffe://example.org/db"]);
    expect(ctx.svids.map((s) => s.hint)).toEqual(["", "db"]);
    expect(ctx.defaultSvid).toBe(ctx.svids[0]!);
    expect([...ctx.bundles.keys()].sort()).toEqual(["example.org", "fed.example"]);
    expect(ctx.bundles.get("example.org")!.equals(f.ca.x509Bundle)).toBe(true);
    expect(ctx.bundles.get("fed.example")!.equals(f.fed.x509Bundle)).toBe(true);
    expect(ctx.crls).toEqual([]);
  });

  test("a picker chooses the default SVID", async () => {
    await using c = new WorkloadApiClient({ address: f.server.address, picker: (svids) => svids.find((s) => s.hint === "db") });
    expect((await c.fetchX509Context()).defaultSvid.id.toString()).toBe("spiffe://example.org/db");
  });

  test("a picker that chooses nothing makes the response bad", async () => {
    await using c = new WorkloadApiClient({ address: f.server.address, picker: () => undefined });
    expect(await rejectionCode(c.fetchX509Context())).toBe("ERR_WORKLOAD_API_BAD_RESPONSE");
  });

  test("fetchX509Bundles and fetchJwtBundles return bundles by trust domain", async () => {
    const x509 = await client.fetchX509Bundles();
    expect([...x509.keys()].sort()).toEqual(["example.org", "fed.example"]);
    expect(x509.get("example.org")).toBeInstanceOf(X509Bundle);
    const jwt = await client.fetchJwtBundles();
    expect([...jwt.keys()].sort()).toEqual(["example.org", "fed.example"]);
    expect(jwt.get("example.org")).toBeInstanceOf(JwtBundle);
    expect(jwt.get("example.org")!.keys.map((k) => k.kid)).toEqual(f.ca.jwks.keys.map((k) => k.kid!));
  });

  test("fetchJwtSvid / fetchJwtSvids return tokens with id, audience, expiry and hint", async () => {
    const one = await client.fetchJwtSvid({ audience: ["api", "other"] });
    expect(one.id.toString()).toBe("spiffe://example.org/web");
    expect(one.audience).toEqual(["api", "other"]);
    expect(one.token.split(".").length).toBe(3);
    expect(one.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const all = await client.fetchJwtSvids({ audience: "api" });
    expect(all.map((s) => [s.id.toString(), s.hint])).toEqual([["spiffe://example.org/web", ""], ["spiffe://example.org/db", "db"]]);
    const db = await client.fetchJwtSvids({ audience: "api", subject: SpiffeId.parse("spiffe://example.org/db") });
    expect(db.map((s) => s.id.toString())).toEqual(["spiffe://example.org/db"]);
    const last = f.server.calls.filter((c) => c.method === "FetchJWTSVID").at(-1)!;
    expect(last.request).toEqual({ audience: ["api"], spiffeId: "spiffe://example.org/db" });
  });

  test("fetchJwtSvid rejects bad arguments before calling", async () => {
    const before = f.server.calls.length;
    await expectInvalidArgument(client.fetchJwtSvid({ audience: "" }), "options.audience");
    await expectInvalidArgument(client.fetchJwtSvid({ audience: [] }), "options.audience");
    await expectInvalidArgument(client.fetchJwtSvid({ audience: "api", subject: "not an id" }), "options.subject");
    await expectInvalidArgument(client.fetchJwtSvid(undefined as never), "options");
    expect(f.server.calls.length).toBe(before);
  });

  test("validateJwtSvid returns the id and claims; a wrong audience is InvalidArgument", async () => {
    const { token } = await client.fetchJwtSvid({ audience: "api" });
    const v = await client.validateJwtSvid(token, "api");
    expect(v.id.toString()).toBe("spiffe://example.org/web");
    expect(v.claims.sub).toBe("spiffe://example.org/web");
    const err = await client.validateJwtSvid(token, "elsewhere").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkloadApiError);
    expect((err as WorkloadApiError).code).toBe("ERR_WORKLOAD_API_INVALID_ARGUMENT");
    expect((err as WorkloadApiError).grpcStatus).toBe(3);
    await expectInvalidArgument(client.validateJwtSvid("", "api"), "token");
    await expectInvalidArgument(client.validateJwtSvid(token, ""), "audience");
  });

  test("every recorded call carries the security header", async () => {
    await client.fetchX509Context();
    expect(f.server.calls.length).toBeGreaterThan(5);
    for (const call of f.server.calls) expect(call.headers["workload.spiffe.io"]).toBe("true");
  });

  test("status codes map to error codes with the gRPC status kept", async () => {
    f.server.failNext(1, "PermissionDenied", "no identity issued", "FetchX509SVID");
    const e1 = await rejectionOf(client.fetchX509Context(), WorkloadApiError);
    expect([e1.code, e1.grpcStatus]).toEqual(["ERR_WORKLOAD_API_PERMISSION_DENIED", 7]);
    f.server.failNext(1, "Unavailable", "starting", "FetchX509Bundles");
    expect(await rejectionCode(client.fetchX509Bundles())).toBe("ERR_WORKLOAD_API_UNAVAILABLE");
    f.server.failNext(1, "InvalidArgument", "bad", "FetchJWTBundles");
    expect(await rejectionCode(client.fetchJwtBundles())).toBe("ERR_WORKLOAD_API_INVALID_ARGUMENT");
    f.server.failNext(1, "Unknown", "boom", "FetchJWTSVID");
    const e2 = await rejectionOf(client.fetchJwtSvid({ audience: "a" }), WorkloadApiError);
    expect([e2.code, e2.grpcStatus]).toEqual(["ERR_WORKLOAD_API_CALL_FAILED", 2]);
    expect(e2.cause).toBeDefined();
  });

  test("a caller's abort and timeoutMs", async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await rejectionCode(client.fetchX509Context({ signal: ac.signal }))).toBe("ERR_WORKLOAD_API_ABORTED");
    await expectInvalidArgument(client.fetchX509Context({ timeoutMs: -1 }), "options.timeoutMs");
  });
});

describe("WorkloadApiClient: addresses and connection errors", () => {
  test("SPIFFE_ENDPOINT_SOCKET from env; an explicit address wins", async () => {
    const f = await startFixture();
    try {
      await using a = new WorkloadApiClient({ env: { SPIFFE_ENDPOINT_SOCKET: f.server.address } });
      expect(a.endpoint).toBe(f.server.address);
      expect((await a.fetchX509Context()).defaultSvid.id.toString()).toBe("spiffe://example.org/web");
      await using b = new WorkloadApiClient({ address: f.server.address, env: { SPIFFE_ENDPOINT_SOCKET: "garbage" } });
      expect(b.address).toEqual({ kind: "unix", path: f.server.socketPath! });
    } finally {
      await f.dispose();
    }
  });

  test("a missing or invalid address is a typed error from the constructor", async () => {
    expect(throwCode(() => new WorkloadApiClient({ env: {} }))).toBe("ERR_WORKLOAD_API_ADDRESS_MISSING");
    expect(throwCode(() => new WorkloadApiClient({ env: { SPIFFE_ENDPOINT_SOCKET: "" } }))).toBe("ERR_WORKLOAD_API_ADDRESS_MISSING");
    expect(throwCode(() => new WorkloadApiClient({ env: { SPIFFE_ENDPOINT_SOCKET: "/run/agent.sock" } }))).toBe("ERR_WORKLOAD_API_ADDRESS_SCHEME");
    expect(throwCode(() => new WorkloadApiClient({ address: "unix://host/agent.sock" }))).toBe("ERR_WORKLOAD_API_ADDRESS_AUTHORITY");
    expect(throwCode(() => new WorkloadApiClient({ address: "tcp://localhost:8081" }))).toBe("ERR_WORKLOAD_API_ADDRESS_HOST");
    await expectInvalidArgument(() => new WorkloadApiClient({ address: "unix:///a.sock", backoff: { initialDelayMs: 0 } }), "backoff.initialDelayMs", ConfigError);
    await expectInvalidArgument(() => new WorkloadApiClient({ address: "unix:///a.sock", picker: 1 as never }), "picker", ConfigError);
  });

  test("TCP address", async () => {
    const f = await startFixture({ socketPath: undefined, tcpPort: 0 });
    try {
      expect(f.server.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      await using c = new WorkloadApiClient({ address: f.server.address });
      expect(c.address?.kind).toBe("tcp");
      expect((await c.fetchX509Context()).defaultSvid.id.toString()).toBe("spiffe://example.org/web");
      expect(f.server.calls.every((call) => call.headers["workload.spiffe.io"] === "true")).toBe(true);
    } finally {
      await f.dispose();
    }
  });

  test("no socket file and a stale socket are Unavailable", async () => {
    const f = await startFixture();
    const address = f.server.address;
    await f.server.stop();
    await using c = new WorkloadApiClient({ address });
    const e = await rejectionOf(c.fetchX509Context(), WorkloadApiError);
    expect(e.code).toBe("ERR_WORKLOAD_API_UNAVAILABLE");
    expect(e.message).toContain(address);
    await f.dispose();
  });

  test("Deno permission errors name the flags to add", async () => {
    const f = await startFixture();
    try {
      const script = join(f.dir, "perm.ts");
      const client = JSON.stringify(join(root, "src/adapters/deno/mod.ts"));
      writeFileSync(script, `import { WorkloadApiClient } from ${client};\nconst c = new WorkloadApiClient({ address: ${JSON.stringify(f.server.address)} });\ntry { await c.fetchX509Context(); console.log("OK"); } catch (e) { console.log(e.code + " " + e.message); }\nawait c.close();\ntry { new WorkloadApiClient(); } catch (e) { console.log("env " + e.code + " " + e.message); }\n`);
      const out = await runChild([join(root, "node_modules/.bin/deno"), "run", `--config=${join(root, "deno.json")}`, "--allow-read", script], 30_000);
      expect(out.stdout).toContain("ERR_WORKLOAD_API_RUNTIME_PERMISSION");
      expect(out.stdout).toContain(`--allow-write=${f.server.socketPath} --allow-net=unix:${f.server.socketPath}`);
      expect(out.stdout).toContain("env ERR_WORKLOAD_API_RUNTIME_PERMISSION");
      expect(out.stdout).toContain("--allow-env=SPIFFE_ENDPOINT_SOCKET");
    } finally {
      await f.dispose();
    }
  });

  test("close() lets the process exit", async () => {
    const f = await startFixture();
    try {
      const script = join(f.dir, "exit.ts");
      const mod = JSON.stringify(join(root, "src/adapters/node/mod.ts"));
      writeFileSync(
        script,
        `import { X509Source } from ${mod};\nconst s = await X509Source.create({ address: ${JSON.stringify(f.server.address)}, timeoutMs: 10000 });\nconsole.log(s.getX509Svid().id.toString());\nawait s.close();\n`,
      );
      const [cmd, ...args] = currentRuntimeCommand(root);
      const out = await runChild([cmd!, ...args, script], 30_000);
      expect(out.stdout.trim()).toBe("spiffe://example.org/web");
      expect(out.code).toBe(0);
      expect(out.timedOut).toBe(false);
    } finally {
      await f.dispose();
    }
  });
});

describe("WorkloadApiClient: watches", () => {
  test("watchX509Context sees rotations, skips identical updates, ends on abort", async () => {
    const f = await startFixture();
    try {
      await using client = new WorkloadApiClient({ address: f.server.address, backoff: FAST_BACKOFF });
      const ac = new AbortController();
      const seen: X509Context[] = [];
      const log = errorLog();
      const done = (async () => {
        for await (const ctx of client.watchX509Context({ signal: ac.signal, onError: log.onError })) seen.push(ctx);
      })();
      await waitFor(() => seen.length === 1, "first context");
      f.server.closeStreams(); // clean end: the client reconnects and gets the same state again
      await waitFor(() => f.server.calls.filter((c) => c.method === "FetchX509SVID").length >= 2, "reconnect");
      await delay(100);
      expect(seen.length).toBe(1);
      expect(log.codes).toContain("ERR_WORKLOAD_API_UNAVAILABLE");
      await f.server.rotate();
      await waitFor(() => seen.length === 2, "rotated context");
      expect(seen[1]!.defaultSvid.serialNumber).not.toBe(seen[0]!.defaultSvid.serialNumber);
      ac.abort();
      await done;
      await waitFor(() => f.server.openStreams === 0, "stream closed on the server");
    } finally {
      await f.dispose();
    }
  });

  test("reconnects after the server restarts", async () => {
    const f = await startFixture();
    try {
      await using client = new WorkloadApiClient({ address: f.server.address, backoff: FAST_BACKOFF });
      const seen: X509Context[] = [];
      const log = errorLog();
      const stop = client.onX509Context((ctx) => seen.push(ctx), { onError: log.onError });
      await waitFor(() => seen.length === 1, "first context");
      await f.server.stop();
      await waitFor(() => log.codes.length >= 2, "failed reconnects");
      expect(log.codes.every((c) => c === "ERR_WORKLOAD_API_UNAVAILABLE")).toBe(true);
      await f.server.restart();
      await f.server.rotate();
      await waitFor(() => seen.length === 2, "context after restart");
      stop();
    } finally {
      await f.dispose();
    }
  });

  test("backs off under Unavailable instead of looping", async () => {
    const f = await startFixture();
    try {
      f.server.failNext(3, "Unavailable", "agent starting", "FetchX509SVID");
      await using client = new WorkloadApiClient({ address: f.server.address, backoff: { initialDelayMs: 30, maxDelayMs: 60, jitter: 0 } });
      const log = errorLog();
      const first = await client.watchX509Context({ onError: log.onError }).next();
      expect(first.done).toBe(false);
      expect(log.codes).toEqual(["ERR_WORKLOAD_API_UNAVAILABLE", "ERR_WORKLOAD_API_UNAVAILABLE", "ERR_WORKLOAD_API_UNAVAILABLE"]);
      expect(f.server.calls.filter((c) => c.method === "FetchX509SVID").length).toBe(4);

      // agent gone: attempts are spaced by the backoff (100 ms cap), not a tight loop
      await f.server.stop();
      const log2 = errorLog();
      await using slow = new WorkloadApiClient({ address: f.server.address, backoff: { initialDelayMs: 100, maxDelayMs: 100, jitter: 0 } });
      const stop = slow.onX509Context(() => {}, { onError: log2.onError });
      await delay(450);
      stop();
      expect(log2.codes.length).toBeGreaterThanOrEqual(1);
      expect(log2.codes.length).toBeLessThanOrEqual(6);
    } finally {
      await f.dispose();
    }
  });

  test("never retries after InvalidArgument", async () => {
    const f = await startFixture();
    try {
      f.server.failNext(1, "InvalidArgument", "security header missing from request", "FetchX509SVID");
      await using client = new WorkloadApiClient({ address: f.server.address, backoff: FAST_BACKOFF });
      let thrown: unknown;
      try {
        for await (const _ of client.watchX509Context()) throw new Error("no context expected");
      } catch (err) {
        thrown = err;
      }
      expect((thrown as WorkloadApiError).code).toBe("ERR_WORKLOAD_API_INVALID_ARGUMENT");
      await delay(150);
      expect(f.server.calls.filter((c) => c.method === "FetchX509SVID").length).toBe(1);
    } finally {
      await f.dispose();
    }
  });

  test("watchX509Bundles and watchJwtBundles follow federation changes", async () => {
    const f = await startFixture();
    try {
      await using client = new WorkloadApiClient({ address: f.server.address, backoff: FAST_BACKOFF });
      const x509: string[][] = [];
      const jwt: string[][] = [];
      const stopX = client.onX509Bundles((b) => x509.push([...b.keys()].sort()));
      const stopJ = client.onJwtBundles((b) => jwt.push([...b.keys()].sort()));
      await waitFor(() => x509.length === 1 && jwt.length === 1, "first bundles");
      f.server.addFederatedBundle(f.fed);
      await waitFor(() => x509.length === 2 && jwt.length === 2, "federated bundles");
      f.server.removeFederatedBundle("fed.example");
      await waitFor(() => x509.length === 3 && jwt.length === 3, "federated bundles removed");
      expect(x509).toEqual([["example.org"], ["example.org", "fed.example"], ["example.org"]]);
      expect(jwt).toEqual(x509);
      stopX();
      stopJ();
    } finally {
      await f.dispose();
    }
  });

  test("close() ends watches and later calls fail with ERR_WORKLOAD_API_CLOSED", async () => {
    const f = await startFixture();
    try {
      const client = new WorkloadApiClient({ address: f.server.address });
      const it = client.watchX509Context();
      expect((await it.next()).done).toBe(false);
      const pending = it.next();
      await client.close();
      expect((await pending).done).toBe(true);
      expect(client.closed).toBe(true);
      expect(await rejectionCode(client.fetchX509Context())).toBe("ERR_WORKLOAD_API_CLOSED");
      await client.close();
    } finally {
      await f.dispose();
    }
  });
});

async function runChild(argv: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Uint8Array) => (stdout += new TextDecoder().decode(d)));
  child.stderr.on("data", (d: Uint8Array) => (stderr += new TextDecoder().decode(d)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr, timedOut };
}
