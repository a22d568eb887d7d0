// Shared set-up of the Workload API tests: a test CA, a federated CA, and a development
// Workload API server on a Unix socket in a fresh temporary directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import { createTestCa, startWorkloadApiServer, type TestCa, type WorkloadApiServer, type WorkloadApiServerOptions } from "../../src/testing/mod.ts";

export interface Fixture {
  readonly ca: TestCa;
  readonly fed: TestCa;
  readonly server: WorkloadApiServer;
  readonly dir: string;
  dispose(): Promise<void>;
}

let cas: Promise<{ ca: TestCa; fed: TestCa }> | undefined;

/** The two CAs, created once per test file (rotation tests create their own). */
export function sharedCas(): Promise<{ ca: TestCa; fed: TestCa }> {
  cas ??= (async () => ({
    ca: await createTestCa({ trustDomain: "example.org" }),
    fed: await createTestCa({ trustDomain: "fed.example" }),
  }))();
  return cas;
}

/** Starts a server serving `spiffe://example.org/web` (and any overrides) on a fresh socket. */
export async function startFixture(overrides: Partial<WorkloadApiServerOptions> = {}): Promise<Fixture> {
  const { ca, fed } = await sharedCas();
  const dir = mkdtempSync(join(tmpdir(), "wlapi-"));
  const options: WorkloadApiServerOptions = { socketPath: join(dir, "agent.sock"), ca, workloads: [{ id: "spiffe://example.org/web" }], ...overrides };
  const server = await startWorkloadApiServer(options);
  return {
    ca: options.ca,
    fed,
    server,
    dir,
    async dispose() {
      await server.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Small, deterministic reconnect delays for tests. */
export const FAST_BACKOFF = { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 } as const;

export { waitUntil as waitFor } from "../support/wait-until.ts";

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Collects reported errors' codes. */
export function errorLog(): { codes: string[]; errors: WorkloadApiError[]; onError: (e: WorkloadApiError) => void } {
  const codes: string[] = [];
  const errors: WorkloadApiError[] = [];
  return { codes, errors, onError: (e) => (codes.push(e.code), errors.push(e)) };
}

/** Executable and leading arguments to run a TypeScript file with the current runtime. */
export function currentRuntimeCommand(root: string): string[] {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno) return [process.execPath, "run", "-A", `--config=${join(root, "deno.json")}`];
  return [process.execPath];
}
