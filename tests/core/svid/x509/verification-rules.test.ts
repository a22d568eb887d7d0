// Every targeted X.509-SVID rule case (tests/support/raw-x509/cases/): hand-built chains whose
// expected verdict comes from RFC 5280 / the SPIFFE specs (each case cites its rule), run
// through verifyX509Svid with the bundle of the case's trust domain.
import { describe, expect, test } from "bun:test";
import { allCases } from "../../../support/raw-x509/cases/all.ts";
import { sdkVerdict, verdictText } from "../../../support/raw-x509/sdk-verdict.ts";

describe("verifyX509Svid: targeted rule cases", () => {
  test("case names are unique", () => {
    const names = allCases.map((c) => c.name);
    expect(names.length).toBe(new Set(names).size);
  });

  for (const c of allCases) {
    const want = c.expect === "accept" ? "accept" : c.expect.code;
    test(`${c.name} → ${want}`, async () => {
      const v = await sdkVerdict(await c.build());
      if (verdictText(v) !== want) {
        throw new Error(`${c.name}: expected ${want}, got ${verdictText(v)}${v.accept ? "" : ` (${v.message})`}\n  rule: ${c.spec}`);
      }
    });
  }
});
