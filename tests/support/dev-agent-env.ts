// For the tests that run documentation as written: a development Workload API for the whole
// file, found by the code under test through SPIFFE_ENDPOINT_SOCKET (restored afterwards).
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCa, startWorkloadApiServer, type WorkloadApiServer } from "../../src/testing/mod.ts";

/** Starts the agent (workload spiffe://example.org/web) before the file's tests and stops it after; returns a getter for it. */
export function useDevAgentForEnv(tempPrefix: string): () => WorkloadApiServer {
  let dir = "";
  let agent: WorkloadApiServer | undefined;
  let previous: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), tempPrefix));
    agent = await startWorkloadApiServer({ socketPath: join(dir, "agent.sock"), ca: await createTestCa({ trustDomain: "example.org" }), workloads: [{ id: "spiffe://example.org/web" }] });
    previous = process.env.SPIFFE_ENDPOINT_SOCKET;
    process.env.SPIFFE_ENDPOINT_SOCKET = agent.address;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.SPIFFE_ENDPOINT_SOCKET;
    else process.env.SPIFFE_ENDPOINT_SOCKET = previous;
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => agent!;
}
