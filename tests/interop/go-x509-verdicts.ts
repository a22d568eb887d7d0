// go-spiffe's verdicts on X.509-SVID chains: one run of the interop program's verify-x509
// command (x509svid.ParseAndVerify) over many cases.
import type { CaseInput } from "../support/raw-x509/cases/case.ts";
import { runGo } from "./go-program.ts";

/** go-spiffe's verdict on one case. */
export interface GoVerdict {
  readonly name: string;
  readonly accept: boolean;
  readonly id?: string;
  readonly error?: string;
}

function base64(der: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < der.length; i += 0x8000) bin += String.fromCharCode(...der.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Runs every case through one `interop verify-x509` process; verdicts by case name. */
export async function goX509Verdicts(bin: string, cases: readonly { name: string; input: CaseInput }[], timeoutMs = 120_000): Promise<Map<string, GoVerdict>> {
  const lines = cases.map(({ name, input }) =>
    JSON.stringify({ name, chain: input.chain.map(base64), bundle: input.bundle.map(base64), trustDomain: input.trustDomain, now: input.now.toISOString() }),
  );
  const r = await runGo(bin, ["verify-x509"], `${lines.join("\n")}\n`, timeoutMs);
  if (r.status !== 0) throw new Error(`interop verify-x509 exited with ${r.status}: ${r.stdout.slice(-500)} ${r.stderr.slice(-500)}`);
  const out = new Map<string, GoVerdict>();
  for (const line of r.stdout.split("\n")) if (line.trim()) out.set((JSON.parse(line) as GoVerdict).name, JSON.parse(line) as GoVerdict);
  if (out.size !== cases.length) throw new Error(`interop verify-x509 answered ${out.size} of ${cases.length} cases`);
  return out;
}
