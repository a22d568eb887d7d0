// Seeded mutations of a TBSCertificate for differential fuzzing: on its extensions (bit
// flips, byte insertions and deletions inside values, swaps, removals, duplicates,
// criticality), its version, and on its DER bytes (lengths, bit flips in any field). The
// result is re-signed by the real issuer, so parsing and the rules are what gets tested.
import { boolean, concat, type Der, encodeLength } from "./der.ts";
import { allNodes, encodeDer, parseDer } from "./der-tree.ts";
import type { Extension } from "./extensions.ts";
import { encodeTbs, type TbsFields } from "./certificate.ts";

/** A random source in [0, 1) (tests/support/prng.ts). */
export type Random = () => number;

const pick = <T>(rnd: Random, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
const int = (rnd: Random, n: number): number => Math.floor(rnd() * n);

type FieldOp = (f: TbsFields, rnd: Random) => string | undefined;
type ByteOp = (tbs: Der, rnd: Random) => { tbs: Der; what: string } | undefined;

function structured(f: TbsFields): Extension[] {
  return (f.extensions ?? []).filter((e): e is Extension => !(e instanceof Uint8Array));
}

function withValue(f: TbsFields, rnd: Random, change: (v: Der, e: Extension) => { value: Der; what: string } | undefined): string | undefined {
  const exts = structured(f);
  if (!exts.length) return undefined;
  const k = int(rnd, exts.length);
  const e = exts[k]!;
  const r = change(e.value, e);
  if (!r) return undefined;
  exts[k] = { ...e, value: r.value };
  f.extensions = exts;
  return r.what;
}

const FIELD_OPS: Record<string, FieldOp> = {
  flip: (f, rnd) =>
    withValue(f, rnd, (v, e) => {
      if (!v.length) return undefined;
      const bit = int(rnd, v.length * 8);
      const out = v.slice();
      out[bit >> 3]! ^= 0x80 >> (bit & 7);
      return { value: out, what: `flip(${e.oid}@${bit})` };
    }),
  insert: (f, rnd) =>
    withValue(f, rnd, (v, e) => {
      const at = int(rnd, v.length + 1);
      const b = int(rnd, 256);
      return { value: concat(v.subarray(0, at), new Uint8Array([b]), v.subarray(at)), what: `insert(${e.oid}@${at}=${b})` };
    }),
  delete: (f, rnd) =>
    withValue(f, rnd, (v, e) => {
      if (!v.length) return undefined;
      const at = int(rnd, v.length);
      return { value: concat(v.subarray(0, at), v.subarray(at + 1)), what: `delete(${e.oid}@${at})` };
    }),
  truncate: (f, rnd) =>
    withValue(f, rnd, (v, e) => {
      if (v.length < 2) return undefined;
      const at = 1 + int(rnd, v.length - 1);
      return { value: v.slice(0, at), what: `truncate(${e.oid}@${at})` };
    }),
  swap: (f, rnd) => {
    const exts = structured(f);
    if (exts.length < 2) return undefined;
    const a = int(rnd, exts.length);
    const b = (a + 1 + int(rnd, exts.length - 1)) % exts.length;
    [exts[a], exts[b]] = [exts[b]!, exts[a]!];
    f.extensions = exts;
    return `swap(${exts[b]!.oid},${exts[a]!.oid})`;
  },
  remove: (f, rnd) => {
    const exts = structured(f);
    if (!exts.length) return undefined;
    const [e] = exts.splice(int(rnd, exts.length), 1);
    f.extensions = exts;
    return `remove(${e!.oid})`;
  },
  duplicate: (f, rnd) => {
    const exts = structured(f);
    if (!exts.length) return undefined;
    const e = pick(rnd, exts);
    exts.splice(int(rnd, exts.length + 1), 0, e);
    f.extensions = exts;
    return `duplicate(${e.oid})`;
  },
  critical: (f, rnd) => {
    const exts = structured(f);
    if (!exts.length) return undefined;
    const k = int(rnd, exts.length);
    const e = exts[k]!;
    const choice = int(rnd, 3);
    const critical = choice === 0 ? !(e.critical === true) : choice === 1 ? boolean(false) : boolean(true, 1 + int(rnd, 254));
    exts[k] = { ...e, critical };
    f.extensions = exts;
    return `critical(${e.oid}:${choice === 0 ? String(critical) : choice === 1 ? "explicit-false" : "non-ff"})`;
  },
  "value-swap": (f, rnd) => {
    const exts = structured(f);
    if (exts.length < 2) return undefined;
    const a = int(rnd, exts.length);
    const b = (a + 1 + int(rnd, exts.length - 1)) % exts.length;
    exts[a] = { ...exts[a]!, value: exts[b]!.value };
    f.extensions = exts;
    return `value-of(${exts[a]!.oid}:=${exts[b]!.oid})`;
  },
  version: (f, rnd) => {
    const v = pick(rnd, [null, 0, 1, 3, 4, -1, 255] as const);
    f.version = v;
    return `version(${v})`;
  },
};

const BYTE_OPS: Record<string, ByteOp> = {
  length: (tbs, rnd) => {
    const tree = parseDer(tbs);
    if (!tree) return undefined;
    const nodes = allNodes(tree);
    const { node, depth } = pick(rnd, nodes);
    const kind = pick(rnd, ["long-form", "plus-one", "minus-one", "indefinite"] as const);
    if (kind === "long-form") node.lengthOctets = (n) => encodeLength(n, Math.max(1, encodeLength(n).length));
    else if (kind === "plus-one") node.lengthOctets = (n) => encodeLength(n + 1);
    else if (kind === "minus-one") node.lengthOctets = (n) => encodeLength(Math.max(0, n - 1));
    else {
      node.lengthOctets = () => new Uint8Array([0x80]);
      node.suffix = new Uint8Array([0, 0]);
    }
    return { tbs: encodeDer(tree), what: `length(${kind}@tag${node.tag.toString(16)}/depth${depth})` };
  },
  "field-flip": (tbs, rnd) => {
    const tree = parseDer(tbs);
    if (!tree) return undefined;
    const prims = allNodes(tree).filter((n) => !n.node.children && n.node.content.length > 0);
    if (!prims.length) return undefined;
    const { node, depth } = pick(rnd, prims);
    const bit = int(rnd, node.content.length * 8);
    node.content = node.content.slice();
    node.content[bit >> 3]! ^= 0x80 >> (bit & 7);
    return { tbs: encodeDer(tree), what: `field-flip(tag${node.tag.toString(16)}/depth${depth}@${bit})` };
  },
};

/**
 * Applies 1–3 random mutations to a copy of `fields` and returns the mutated TBSCertificate
 * DER with a description of what changed (undefined when no operator applied).
 */
export function mutateTbs(fields: TbsFields, rnd: Random): { tbs: Der; what: string[] } | undefined {
  const f: TbsFields = { ...fields, extensions: fields.extensions ? [...fields.extensions] : undefined };
  const what: string[] = [];
  const count = 1 + int(rnd, 3);
  const byteOps: ByteOp[] = [];
  const fieldNames = Object.keys(FIELD_OPS);
  const byteNames = Object.keys(BYTE_OPS);
  for (let k = 0; k < count; k++) {
    const r = int(rnd, fieldNames.length * 4 + byteNames.length * 3);
    if (r < fieldNames.length * 4) {
      const w = FIELD_OPS[fieldNames[r % fieldNames.length]!]!(f, rnd);
      if (w) what.push(w);
    } else byteOps.push(BYTE_OPS[byteNames[(r - fieldNames.length * 4) % byteNames.length]!]!);
  }
  let tbs = encodeTbs(f);
  for (const op of byteOps) {
    const r = op(tbs, rnd);
    if (r) {
      tbs = r.tbs;
      what.push(r.what);
    }
  }
  return what.length ? { tbs, what } : undefined;
}
