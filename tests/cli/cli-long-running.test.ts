// spiffe-ts dev-agent and x509 watch: long-running commands, on the test's runtime.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCa, startWorkloadApiServer } from "../../src/testing/mod.ts";
import { isDeno } from "../examples/example-process.ts";
import { runCli, startCli } from "./cli-process.ts";

// Deno's node:child_process reports a child stopped with SIGTERM as (null, "SIGTERM") even when
// the child handled the signal and exited 0; Bun and Node report the real exit code.
const stoppedCleanly = (code: number | null): boolean => code === 0 || (isDeno && code === null);

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-cli-long-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("spiffe-ts dev-agent", () => {
  test("serves the given workloads on the given socket until SIGTERM (exit 0); x509 fetch reads from it", async () => {
    const socket = join(dir, "dev.sock");
    const agent = startCli(["dev-agent", "--trust-domain", "dev.test", "--workload", "spiffe://dev.test/a", "--ttl", "10m", "--socket", socket, "--json"]);
    try {
      const line = await agent.waitFor(/\{[\s\S]*\}\n/);
      const info = JSON.parse(line[0]);
      expect(info).toEqual({ address: `unix://${socket}`, trustDomain: "dev.test", workloads: ["spiffe://dev.test/a"] });
      const fetched = await runCli(["x509", "fetch", "--json", "--address", info.address]);
      expect(fetched.status).toBe(0);
      const json = JSON.parse(fetched.stdout);
      expect(json.spiffeId).toBe("spiffe://dev.test/a");
      const ttl = Date.parse(json.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(8 * 60_000);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 1000);
    } finally {
      expect(stoppedCleanly(await agent.stop())).toBe(true);
    }
  });

  test("bad flags: exit 2", async () => {
    expect((await runCli(["dev-agent", "--ttl", "soon"])).status).toBe(2);
    expect((await runCli(["dev-agent", "--trust-domain", "Bad TD", "--socket", join(dir, "x.sock")])).status).toBe(2);
    expect((await runCli(["dev-agent", "--socket", "a", "--tcp-port", "1"])).status).toBe(2);
  });
});

describe("spiffe-ts x509 watch", () => {
  test("prints each rotation, rewrites files atomically, runs --exec after each update, stops after --count", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const server = await startWorkloadApiServer({ socketPath: join(dir, "watch.sock"), ca, workloads: [{ id: "spiffe://example.org/w" }], rotateEveryMs: 300 });
    const out = join(dir, "watch-out");
    const hookLog = join(dir, "hook.log");
    const watch = startCli(["x509", "watch", "--json", "--count", "4", "--write", out, "--exec", `echo ran >> '${hookLog}'`], { SPIFFE_ENDPOINT_SOCKET: server.address });
    // A reader polling during rotations never sees a partial file.
    let reads = 0;
    let partial = 0;
    const poll = setInterval(() => {
      try {
        const pem = readFileSync(join(out, "svid.pem"), "utf8");
        reads++;
        if (!pem.trimEnd().endsWith("-----END CERTIFICATE-----") || (pem.match(/BEGIN/g) ?? []).length !== (pem.match(/END/g) ?? []).length) partial++;
      } catch {
        // not written yet
      }
    }, 2);
    try {
      expect(await watch.exited).toBe(0);
    } finally {
      clearInterval(poll);
      await watch.stop();
      await server.stop();
    }
    const updates = watch.stdout().trim().split("\n").map((l) => JSON.parse(l));
    expect(updates.map((u) => u.update)).toEqual([1, 2, 3, 4]);
    expect(new Set(updates.map((u) => u.svids[0].serialNumber)).size).toBe(4);
    expect(updates.every((u) => u.execExitCode === 0 && u.written.length === 3)).toBe(true);
    expect(readFileSync(hookLog, "utf8")).toBe("ran\nran\nran\nran\n");
    expect(statSync(join(out, "svid_key.pem")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, "svid.pem"), "utf8")).toContain(updates[3].svids[0].certificates.split("\n")[1]);
    expect(reads).toBeGreaterThan(0);
    expect(partial).toBe(0);
  });

  test("plain output and SIGTERM: exit 0", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const server = await startWorkloadApiServer({ socketPath: join(dir, "watch2.sock"), ca, workloads: [{ id: "spiffe://example.org/w" }] });
    const watch = startCli(["x509", "watch"], { SPIFFE_ENDPOINT_SOCKET: server.address });
    try {
      await watch.waitFor(/^update 1: spiffe:\/\/example\.org\/w serial [0-9a-f]+ expires /m);
    } finally {
      expect(stoppedCleanly(await watch.stop())).toBe(true);
      await server.stop();
    }
  });

  test("bad --count: exit 2", async () => {
    expect((await runCli(["x509", "watch", "--count", "0", "--address", "unix:///tmp/x.sock"])).status).toBe(2);
  });
});
