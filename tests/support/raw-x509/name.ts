// Distinguished names (RFC 5280 §4.1.2.4) for hand-built certificates.
import { type Der, ia5String, oid, printableString, seq, set, utf8String } from "./der.ts";
import { ATTR } from "./oids.ts";

/** One attribute: OID and value; the value is UTF8String unless `value` is already encoded. */
export interface NameAttribute {
  readonly type: string;
  readonly value: string | Der;
}

/** An RDNSequence from RDNs, each a list of attributes (usually one). Empty list: the empty name. */
export function name(...rdns: readonly (readonly NameAttribute[])[]): Der {
  return seq(...rdns.map((attrs) => set(...attrs.map((a) => seq(oid(a.type), typeof a.value === "string" ? utf8String(a.value) : a.value)))));
}

/** Simple names: `dn({ cn: "Root", o: "SPIFFE" })` → "O=SPIFFE, CN=Root" (O first, as written in DER order). */
export function dn(parts: { c?: string; o?: string; ou?: string; cn?: string; email?: string }): Der {
  const rdns: NameAttribute[][] = [];
  if (parts.c !== undefined) rdns.push([{ type: ATTR.country, value: printableString(parts.c) }]);
  if (parts.o !== undefined) rdns.push([{ type: ATTR.organization, value: parts.o }]);
  if (parts.ou !== undefined) rdns.push([{ type: ATTR.organizationalUnit, value: parts.ou }]);
  if (parts.cn !== undefined) rdns.push([{ type: ATTR.commonName, value: parts.cn }]);
  if (parts.email !== undefined) rdns.push([{ type: ATTR.emailAddress, value: ia5String(parts.email) }]);
  return name(...rdns);
}
