// go-spiffe interoperability: a Go program built on github.com/spiffe/go-spiffe/v2
// (tests/interop/go) and this SDK, each getting SVIDs from our development Workload API
// server (one socket per workload, one test CA), talk SPIFFE mTLS in both directions and
// validate each other's JWT-SVIDs (go-spiffe-scenarios.ts). Run with `npm run test:interop`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtime } from "../support/runtime-entry.ts";
import { createTestCa, startWorkloadApiServer, type TestCa, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { buildGoProgram, goSpiffeVersion, goVersion, runGo } from "./go-program.ts";
import { goSpiffeScenarios, type GoWorkload, type TsWorkload } from "./go-spiffe-scenarios.ts";
import { X509Source } from "../../src/adapters/node/mod.ts";

const TD = "spiffe://example.org";
const GO_WORKLOADS: readonly GoWorkload[] = ["go-server", "go-client", "go-intruder"];
const TS_WORKLOADS: readonly TsWorkload[] = ["ts-server", "ts-client", "ts-intruder"];

const go = goVersion();
if (!go) console.log("skip: go-spiffe interop tests need Go (`go` not found on PATH)");

(go ? describe : describe.skip)(`go-spiffe ${goSpiffeVersion()} interop on ${runtime}`, () => {
  let bin: string;
  let dir: string;
  let ca: TestCa;
  const agents = {} as Record<GoWorkload | TsWorkload, WorkloadApiServer>;
  const sources = {} as Record<TsWorkload, X509Source>;

  beforeAll(async () => {
    bin = buildGoProgram()!;
    dir = mkdtempSync(join(tmpdir(), "spiffe-ts-interop-"));
    ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
    for (const w of [...GO_WORKLOADS, ...TS_WORKLOADS]) agents[w] = await startWorkloadApiServer({ socketPath: join(dir, `${w}.sock`), ca, workloads: [{ id: `${TD}/${w}` }] });
    for (const w of TS_WORKLOADS) sources[w] = await X509Source.create({ address: agents[w].address, timeoutMs: 10_000 });
  }, 300_000);

  afterAll(async () => {
    for (const s of Object.values(sources)) await s.close();
    for (const a of Object.values(agents)) await a.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("go-spiffe's X509Source accepts our development server as a Workload API", async () => {
    const r = await runGo(bin, ["id", "-socket", agents["go-client"].address]);
    expect(r.stdout.trim()).toBe(`ID ${TD}/go-client`);
    expect(r.status).toBe(0);
  });

  goSpiffeScenarios({
    td: TD,
    go: (w) => ({ bin, socket: agents[w].address }),
    source: (w) => sources[w],
    address: (w) => agents[w].address,
  });

  test("a JWT-SVID minted by our test CA (ES256 by default) validates in go-spiffe", async () => {
    const issued = await ca.issueJwtSvid({ id: `${TD}/minted`, audience: ["go-server", "extra"] });
    const r = await runGo(bin, ["jwt-validate", "-socket", agents["go-server"].address, "-audience", "go-server"], issued.token);
    expect(r.stdout).toBe(`VALID ${TD}/minted\n`);
  });
});
