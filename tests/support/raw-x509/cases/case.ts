// The shape of a targeted X.509-SVID verification case and helpers to write them in pairs:
// a chain that must be rejected and its near twin (the one difference removed) that must
// be accepted.
import type { X509SvidErrorCode } from "../../../../src/core/errors/x509-svid-error.ts";
import { ca, type CaOptions, type Built, leaf, type LeafOptions, NOW, root } from "../pki.ts";

/** The trust domain of most cases. */
export const TD = "example.org";

/** What a case hands to the verifiers: DER chain (leaf first), bundle authorities, the bundle's trust domain, the time. */
export interface CaseInput {
  chain: Uint8Array[];
  bundle: Uint8Array[];
  trustDomain: string;
  now: Date;
}

/** The verdict a case must get. */
export type Expectation = "accept" | { code: X509SvidErrorCode };

/** One targeted case; `spec` quotes or cites the rule that decides `expect`. */
export interface X509Case {
  name: string;
  spec: string;
  expect: Expectation;
  build(): Promise<CaseInput>;
}

/** The input of a chain of built certificates and bundle authorities. */
export function input(chain: readonly Built[], bundle: readonly Built[], o: { trustDomain?: string; now?: Date } = {}): CaseInput {
  return { chain: chain.map((c) => c.der), bundle: bundle.map((c) => c.der), trustDomain: o.trustDomain ?? TD, now: o.now ?? NOW };
}

/** root → intermediate → leaf with the given options; the bundle holds the root. */
export async function standard(o: { root?: CaOptions; inter?: CaOptions; leaf?: LeafOptions; trustDomain?: string } = {}): Promise<CaseInput> {
  const r = await root(o.root);
  const i = await ca(r, o.inter);
  const l = await leaf(i, o.leaf);
  return input([l, i], [r], { trustDomain: o.trustDomain });
}

/**
 * Two cases: `name` (`build(true)`, must be rejected with `code`) and `name~ok` (`build(false)`,
 * the same chain without the fault, must be accepted).
 */
/** root → `count` intermediates in a line → leaf; the chain lists them leaf first. */
export async function line(count: number): Promise<CaseInput> {
  const r = await root();
  const cas: Built[] = [];
  let issuer = r;
  for (let k = 0; k < count; k++) cas.push((issuer = await ca(issuer)));
  const l = await leaf(issuer);
  return input([l, ...cas.reverse()], [r]);
}

export function twins(name: string, spec: string, code: X509SvidErrorCode, build: (bad: boolean) => Promise<CaseInput>): X509Case[] {
  return [
    { name, spec, expect: { code }, build: () => build(true) },
    { name: `${name}~ok`, spec, expect: "accept", build: () => build(false) },
  ];
}

/** One case on its own (an extra accept or reject with no meaningful twin). */
export function single(name: string, spec: string, expect: Expectation, build: () => Promise<CaseInput>): X509Case {
  return { name, spec, expect, build };
}
