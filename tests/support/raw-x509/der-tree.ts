// A DER tree for byte-level mutations: parse a TBSCertificate into nodes (descending into
// constructed values and into OCTET/BIT STRINGs that hold DER), change a node, encode again
// with every enclosing length recomputed. Tests only.
import { concat, type Der, encodeLength } from "./der.ts";

/** One TLV. `children` when its content is itself DER (after `prefix`, the BIT STRING unused-bits octet). */
export interface DerNode {
  tag: number;
  content: Der;
  children?: DerNode[];
  prefix?: Der;
  /** Replaces the length octets computed at encoding (for non-minimal or wrong lengths). */
  lengthOctets?: (contentLength: number) => Der;
  /** Appended after the content (e.g. 00 00 after an indefinite length). */
  suffix?: Der;
}

/** Splits `bytes` into TLVs (definite lengths, one-octet tags); undefined when they do not parse exactly. */
export function parseDer(bytes: Uint8Array): DerNode[] | undefined {
  const out: DerNode[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (i + 2 > bytes.length) return undefined;
    const tag = bytes[i]!;
    if ((tag & 0x1f) === 0x1f) return undefined;
    let len = bytes[i + 1]!;
    let p = i + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || p + n > bytes.length) return undefined;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + bytes[p + k]!;
      p += n;
    }
    if (p + len > bytes.length) return undefined;
    const content = bytes.slice(p, p + len);
    const node: DerNode = { tag, content };
    if (tag & 0x20) {
      const kids = parseDer(content);
      if (!kids) return undefined;
      node.children = kids;
    } else if (tag === 0x04 && content.length >= 2) {
      const kids = parseDer(content);
      if (kids) node.children = kids;
    } else if (tag === 0x03 && content.length >= 3 && content[0] === 0) {
      const kids = parseDer(content.subarray(1));
      if (kids) {
        node.children = kids;
        node.prefix = content.slice(0, 1);
      }
    }
    out.push(node);
    i = p + len;
  }
  return out;
}

/** Encodes nodes again (lengths recomputed, except where a node overrides them). */
export function encodeDer(nodes: readonly DerNode[]): Der {
  return concat(
    ...nodes.map((n) => {
      const content = n.children ? concat(n.prefix ?? new Uint8Array(0), encodeDer(n.children)) : n.content;
      const len = n.lengthOctets ? n.lengthOctets(content.length) : encodeLength(content.length);
      return concat(new Uint8Array([n.tag]), len, content, n.suffix ?? new Uint8Array(0));
    }),
  );
}

/** Every node of the tree, depth first, with its depth (0 = top level). */
export function allNodes(nodes: readonly DerNode[], depth = 0): { node: DerNode; depth: number }[] {
  return nodes.flatMap((n) => [{ node: n, depth }, ...(n.children ? allNodes(n.children, depth + 1) : [])]);
}
