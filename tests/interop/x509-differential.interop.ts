// Differential test of X.509-SVID verification: the targeted rule cases
// (tests/support/raw-x509/cases/) and seeded mutants of valid chains (tests/support/raw-x509/fuzz.ts)
// go through this SDK on the test's runtime and through go-spiffe's x509svid.ParseAndVerify
// (one Go process). Fails on any case the SDK accepts and go-spiffe rejects, unless
// x509-differential-allowlist.ts allows it with the spec sentence that makes the SDK right.
// Prints the counts and the cases where the SDK is stricter, grouped by error code, for review.
// X509_FUZZ_SEED and X509_FUZZ_CASES change the seed (printed) and the number of mutants.
import { beforeAll, describe, expect, test } from "bun:test";
import { prng } from "../support/prng.ts";
import { allCases } from "../support/raw-x509/cases/all.ts";
import type { CaseInput } from "../support/raw-x509/cases/case.ts";
import { fuzzCases } from "../support/raw-x509/fuzz.ts";
import { type SdkVerdict, sdkVerdict } from "../support/raw-x509/sdk-verdict.ts";
import { runtime } from "../support/runtime-entry.ts";
import { buildGoProgram, goSpiffeVersion, goVersion } from "./go-program.ts";
import { goX509Verdicts } from "./go-x509-verdicts.ts";
import { x509DifferentialAllowlist } from "./x509-differential-allowlist.ts";
import { compareVerdicts, formatReport } from "./x509-differential-report.ts";

const SEED = Number(process.env.X509_FUZZ_SEED ?? 20260301);
const MUTANTS = Number(process.env.X509_FUZZ_CASES ?? 3000);

const go = goVersion();
if (!go) console.log("skip: the X.509 differential test needs Go (`go` not found on PATH)");

(go ? describe : describe.skip)(`X.509-SVID verification vs go-spiffe ${goSpiffeVersion()} on ${runtime}`, () => {
  let bin: string;

  beforeAll(() => {
    bin = buildGoProgram()!;
  }, 300_000);

  test(`${allCases.length} targeted cases + ${MUTANTS} mutants (seed ${SEED}): the SDK accepts nothing go-spiffe rejects, unless allow-listed`, async () => {
    const started = performance.now();
    console.log(`x509 differential on ${runtime}: seed ${SEED} (X509_FUZZ_SEED), ${MUTANTS} mutants (X509_FUZZ_CASES)`);
    const cases: { name: string; input: CaseInput }[] = [];
    for (const c of allCases) cases.push({ name: c.name, input: await c.build() });
    cases.push(...(await fuzzCases(SEED, MUTANTS, prng)));
    const built = performance.now();

    const sdk = new Map<string, SdkVerdict>();
    for (const c of cases) sdk.set(c.name, await sdkVerdict(c.input));
    const verified = performance.now();
    const goVerdicts = await goX509Verdicts(bin, cases);

    const report = compareVerdicts(
      cases.map((c) => c.name),
      sdk,
      goVerdicts,
      x509DifferentialAllowlist,
    );
    console.log(formatReport(report));
    const secs = (a: number, b: number): string => ((b - a) / 1000).toFixed(1);
    console.log(`${cases.length} cases: built in ${secs(started, built)} s, SDK in ${secs(built, verified)} s, go-spiffe in ${secs(verified, performance.now())} s`);
    expect(report.failures.slice(0, 40)).toEqual([]);
  });
});
