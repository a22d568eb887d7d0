// Certificate extensions (RFC 5280 §4.2): a raw Extension type (any OID, value and
// criticality encoding) and encoders for the common ones.
import { bitString, boolean, concat, type Der, implicit, integer, octetString, oid, seq, tlv } from "./der.ts";
import { EXT } from "./oids.ts";

/** One extension; `value` is the extnValue content (the DER inside the OCTET STRING). */
export interface Extension {
  readonly oid: string;
  /** true/false, or a raw BOOLEAN TLV (e.g. `01 01 01`, or an explicit FALSE `01 01 00`). */
  readonly critical?: boolean | Der;
  readonly value: Der;
}

/** Encodes an Extension; `critical: false` is omitted (DER DEFAULT), a raw BOOLEAN is written as given. */
export function encodeExtension(e: Extension): Der {
  const crit = e.critical instanceof Uint8Array ? e.critical : e.critical ? boolean(true) : new Uint8Array(0);
  return seq(oid(e.oid), crit, octetString(e.value));
}

/** An extension of any OID, value and criticality. */
export function extension(extOid: string, value: Der, critical: boolean | Der = false): Extension {
  return { oid: extOid, critical, value };
}

/** Options of {@link basicConstraints}. */
export interface BasicConstraintsOptions {
  /** cA; "explicit-false" writes the DER default FALSE explicitly (not DER). */
  ca?: boolean | "explicit-false";
  pathLen?: number;
  critical?: boolean;
}

/** basicConstraints (§4.2.1.9), critical by default. */
export function basicConstraints(o: BasicConstraintsOptions = {}): Extension {
  const ca = o.ca === true ? boolean(true) : o.ca === "explicit-false" ? boolean(false) : new Uint8Array(0);
  const pl = o.pathLen === undefined ? new Uint8Array(0) : integer(o.pathLen);
  return extension(EXT.basicConstraints, seq(ca, pl), o.critical ?? true);
}

/** Key usage bit numbers (§4.2.1.3). */
export const KEY_USAGE = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** Key usage bit names. */
export type KeyUsageName = keyof typeof KEY_USAGE;

/** The minimal DER BIT STRING content (octets, unused bits) of a set of bit numbers. */
export function namedBits(bits: readonly number[]): { octets: Der; unused: number } {
  if (bits.length === 0) return { octets: new Uint8Array(0), unused: 0 };
  const highest = Math.max(...bits);
  const octets = new Uint8Array((highest >> 3) + 1);
  for (const b of bits) octets[b >> 3]! |= 0x80 >> (b & 7);
  return { octets, unused: 7 - (highest & 7) };
}

/** keyUsage (§4.2.1.3) from bit names, critical by default. */
export function keyUsage(names: readonly KeyUsageName[], critical = true): Extension {
  const { octets, unused } = namedBits(names.map((n) => KEY_USAGE[n]));
  return extension(EXT.keyUsage, bitString(octets, unused), critical);
}

/** keyUsage with a raw BIT STRING (e.g. bits set in the unused padding bits). */
export function keyUsageRaw(octets: Der, unusedBits: number, critical = true): Extension {
  return extension(EXT.keyUsage, bitString(octets, unusedBits), critical);
}

/** extKeyUsage (§4.2.1.12). */
export function extKeyUsage(oids: readonly string[], critical = false): Extension {
  return extension(EXT.extKeyUsage, seq(...oids.map((o) => oid(o))), critical);
}

/** subjectAltName (§4.2.1.6) from encoded GeneralNames (see general-name.ts). */
export function subjectAltName(names: readonly Der[], critical = false): Extension {
  return extension(EXT.subjectAltName, seq(...names), critical);
}

/** One GeneralSubtree: base name, and `minimum`/`maximum` written only when given. */
export interface Subtree {
  readonly base: Der;
  readonly minimum?: number;
  readonly maximum?: number;
}

function subtree(s: Der | Subtree): Der {
  const t = s instanceof Uint8Array ? { base: s } : s;
  return seq(
    t.base,
    t.minimum === undefined ? new Uint8Array(0) : tlv(0x80, integer(t.minimum).subarray(2)),
    t.maximum === undefined ? new Uint8Array(0) : tlv(0x81, integer(t.maximum).subarray(2)),
  );
}

/** nameConstraints (§4.2.1.10); critical by default (conforming CAs MUST mark it critical). */
export function nameConstraints(o: { permitted?: readonly (Der | Subtree)[]; excluded?: readonly (Der | Subtree)[]; critical?: boolean }): Extension {
  const part = (n: number, list: readonly (Der | Subtree)[] | undefined): Der => (list === undefined ? new Uint8Array(0) : implicit(n, concat(...list.map(subtree)), true));
  return extension(EXT.nameConstraints, seq(part(0, o.permitted), part(1, o.excluded)), o.critical ?? true);
}

/** certificatePolicies (§4.2.1.4): policy OIDs without qualifiers. */
export function certificatePolicies(policies: readonly string[], critical = false): Extension {
  return extension(EXT.certificatePolicies, seq(...policies.map((p) => seq(oid(p)))), critical);
}

/** policyMappings (§4.2.1.5): [issuerDomainPolicy, subjectDomainPolicy] pairs; critical by default (SHOULD). */
export function policyMappings(pairs: readonly (readonly [string, string])[], critical = true): Extension {
  return extension(EXT.policyMappings, seq(...pairs.map(([i, s]) => seq(oid(i), oid(s)))), critical);
}

/** policyConstraints (§4.2.1.11); critical by default (MUST). */
export function policyConstraints(o: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number; critical?: boolean }): Extension {
  const f = (n: number, v: number | undefined): Der => (v === undefined ? new Uint8Array(0) : tlv(0x80 | n, integer(v).subarray(2)));
  return extension(EXT.policyConstraints, seq(f(0, o.requireExplicitPolicy), f(1, o.inhibitPolicyMapping)), o.critical ?? true);
}

/** inhibitAnyPolicy (§4.2.1.14); critical by default (MUST). */
export function inhibitAnyPolicy(skipCerts: number, critical = true): Extension {
  return extension(EXT.inhibitAnyPolicy, integer(skipCerts), critical);
}

/** subjectKeyIdentifier (§4.2.1.2). */
export function subjectKeyIdentifier(keyId: Der, critical = false): Extension {
  return extension(EXT.subjectKeyIdentifier, octetString(keyId), critical);
}

/** authorityKeyIdentifier (§4.2.1.1) with keyIdentifier only. */
export function authorityKeyIdentifier(keyId: Der, critical = false): Extension {
  return extension(EXT.authorityKeyIdentifier, seq(tlv(0x80, keyId)), critical);
}
