// go-spiffe against real SPIRE: the Go program of tests/interop/go (go-spiffe's workloadapi,
// tlsconfig, jwtsvid) and this SDK both get their SVIDs from one real SPIRE agent, then run the
// scenarios of tests/interop/go-spiffe-scenarios.ts. Each Go identity is a copy of the built
// program at its own path, registered with `unix:path:<copy>`; our identities are this runtime's
// entries told apart by hint. Run with `npm run test:spire`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { runtime } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { buildGoProgram, goSpiffeVersion, goVersion, runGo } from "../interop/go-program.ts";
import { goSpiffeScenarios, type GoWorkload, type TsWorkload } from "../interop/go-spiffe-scenarios.ts";
import { type Spire, SPIRE_VERSION, spireBinDir, startSpire } from "./spire-harness.ts";
import { WorkloadApiClient, X509Source } from "../../src/adapters/node/mod.ts";

const TD = "spiffe://example.org";
const GO_WORKLOADS: readonly GoWorkload[] = ["go-server", "go-client", "go-intruder"];
const TS_WORKLOADS: readonly TsWorkload[] = ["ts-server", "ts-client", "ts-intruder"];

const ready = spireBinDir() !== undefined && goVersion() !== undefined;
if (!ready) console.log("skip: go-spiffe against SPIRE needs Go and a built SPIRE (run `npm run test:spire`)");

(ready ? describe : describe.skip)(`go-spiffe ${goSpiffeVersion()} against SPIRE ${SPIRE_VERSION} on ${runtime}`, () => {
  let spire: Spire;
  const bins = {} as Record<GoWorkload, string>;
  const sources = {} as Record<TsWorkload, X509Source>;

  beforeAll(async () => {
    const built = buildGoProgram()!;
    spire = await startSpire({ x509SvidTtlSeconds: 300 });
    const uid = `unix:uid:${process.getuid?.() ?? 0}`;
    const self = [uid, `unix:path:${realpathSync(process.execPath)}`];
    for (const w of GO_WORKLOADS) {
      bins[w] = join(spire.dir, w);
      copyFileSync(built, bins[w]);
      chmodSync(bins[w], 0o755);
    }
    spire.register([
      ...TS_WORKLOADS.map((w) => ({ spiffeId: `${TD}/${w}`, selectors: self, hint: w })),
      ...GO_WORKLOADS.map((w) => ({ spiffeId: `${TD}/${w}`, selectors: [uid, `unix:path:${bins[w]}`] })),
    ]);
    await using probe = new WorkloadApiClient({ address: spire.address });
    await waitUntil(async () => (await probe.fetchX509Context({ timeoutMs: 5_000 }).catch(() => undefined))?.svids.length === TS_WORKLOADS.length, "our SVIDs from the agent", 40_000, 200);
    for (const w of TS_WORKLOADS) sources[w] = await X509Source.create({ address: spire.address, picker: (svids) => svids.find((s) => s.hint === w)!, timeoutMs: 20_000 });
  }, 360_000);

  afterAll(async () => {
    for (const s of Object.values(sources)) await s.close();
    await spire?.stop();
  });

  test("go-spiffe's X509Source gets the Go binary's own SVID from the SPIRE agent", async () => {
    const r = await runGo(bins["go-client"], ["id", "-socket", spire.address]);
    expect(r.stdout.trim()).toBe(`ID ${TD}/go-client`);
    expect(r.status).toBe(0);
  });

  goSpiffeScenarios({
    td: TD,
    go: (w) => ({ bin: bins[w], socket: spire.address }),
    source: (w) => sources[w],
    address: () => spire.address,
  });
});
