// `npm run demo` is the first thing a new user runs: it must work on every runtime.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { exampleArgs } from "./example-process.ts";

describe("examples/demo.ts", () => {
  test("serves, calls, refuses the intruder, rotates, and exits 0", () => {
    const r = spawnSync(process.execPath, exampleArgs("examples/demo.ts"), { encoding: "utf8", timeout: 60_000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toContain("GET  /api/hello    → 200 Hello, spiffe://example.org/client!");
    expect(r.stdout).toContain('"trustDomain":"example.org","path":"/client"');
    expect(r.stdout).toContain("refused");
    expect(r.stdout).toContain("rotated, no restart");
    expect(r.stdout).toContain("Done.");
  });
});
