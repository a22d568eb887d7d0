// Sorting the SDK's and go-spiffe's verdicts on the same cases into agreement, "SDK stricter",
// allow-listed differences and failures (the SDK accepts what go-spiffe rejects), and the
// text printed for review.
import type { SdkVerdict } from "../support/raw-x509/sdk-verdict.ts";
import type { AllowedDifference } from "./x509-differential-allowlist.ts";
import type { GoVerdict } from "./go-x509-verdicts.ts";

/** The verdicts of both sides on the cases, sorted. */
export interface DifferentialReport {
  agreeAccept: number;
  agreeReject: number;
  /** SDK rejects, go-spiffe accepts: by SDK error code, case names. */
  sdkStricter: Map<string, string[]>;
  /** SDK accepts, go-spiffe rejects, allowed: case name → entry. */
  allowListed: Map<string, AllowedDifference>;
  /** SDK accepts, go-spiffe rejects, not allowed; or both accept with different IDs. */
  failures: { name: string; why: string }[];
  /** Cases where the SDK threw something other than a SpiffeError. */
  thrown: string[];
  /** Allow-list entries that matched no case. */
  unusedEntries: AllowedDifference[];
}

/** Sorts the verdicts of the same named cases. */
export function compareVerdicts(
  names: readonly string[],
  sdk: ReadonlyMap<string, SdkVerdict>,
  go: ReadonlyMap<string, GoVerdict>,
  allowlist: readonly AllowedDifference[],
): DifferentialReport {
  const r: DifferentialReport = { agreeAccept: 0, agreeReject: 0, sdkStricter: new Map(), allowListed: new Map(), failures: [], thrown: [], unusedEntries: [] };
  const used = new Set<AllowedDifference>();
  for (const name of names) {
    const s = sdk.get(name)!;
    const g = go.get(name)!;
    if (!s.accept && s.code.startsWith("THROWN")) r.thrown.push(`${name}: ${s.code}: ${s.message}`);
    if (s.accept && g.accept) {
      if (s.id === g.id) r.agreeAccept++;
      else r.failures.push({ name, why: `both accept, but the SDK says ${s.id} and go-spiffe ${g.id}` });
    } else if (!s.accept && !g.accept) r.agreeReject++;
    else if (!s.accept) {
      const list = r.sdkStricter.get(s.code) ?? [];
      list.push(name);
      r.sdkStricter.set(s.code, list);
    } else {
      const entry = allowlist.find((e) => e.pattern.test(name) && (!e.goError || e.goError.test(g.error ?? "")));
      if (entry) {
        used.add(entry);
        r.allowListed.set(name, entry);
      } else r.failures.push({ name, why: `the SDK accepts (${s.id}), go-spiffe rejects: ${g.error}` });
    }
  }
  r.unusedEntries = allowlist.filter((e) => !used.has(e));
  return r;
}

/** The counts line and the grouped "SDK stricter" listing (targeted names in full, a few fuzz examples). */
export function formatReport(r: DifferentialReport): string {
  const stricter = [...r.sdkStricter.values()].reduce((n, l) => n + l.length, 0);
  const lines = [
    `agree-accept ${r.agreeAccept}, agree-reject ${r.agreeReject}, SDK stricter ${stricter}, allow-listed ${r.allowListed.size}, SDK accepts what go-spiffe rejects ${r.failures.length}`,
  ];
  if (stricter) lines.push("SDK stricter (SDK rejects, go-spiffe accepts), by SDK error code:");
  for (const [code, names] of [...r.sdkStricter].sort((a, b) => b[1].length - a[1].length)) {
    const targeted = names.filter((n) => !n.startsWith("fuzz/"));
    const fuzz = names.filter((n) => n.startsWith("fuzz/"));
    lines.push(`  ${code}: ${names.length} (${targeted.length} targeted, ${fuzz.length} fuzz)`);
    for (const n of targeted) lines.push(`    ${n}`);
    for (const n of fuzz.slice(0, 3)) lines.push(`    ${n}`);
    if (fuzz.length > 3) lines.push(`    … ${fuzz.length - 3} more fuzz cases`);
  }
  for (const [name, e] of r.allowListed) lines.push(`allow-listed: ${name} (${e.spec.slice(0, 60)}…)`);
  for (const e of r.unusedEntries) lines.push(`allow-list entry matched nothing (stale?): ${e.pattern}`);
  if (r.thrown.length) lines.push(`the SDK threw a non-SpiffeError on ${r.thrown.length} case(s):`, ...r.thrown.slice(0, 10).map((t) => `  ${t}`));
  return lines.join("\n");
}
