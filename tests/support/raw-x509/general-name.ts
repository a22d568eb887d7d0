// GeneralName (RFC 5280 §4.2.1.6) encoders, every CHOICE alternative, plus IP helpers.
import { concat, type Der, explicit, implicit, oid, tlv } from "./der.ts";

const text = new TextEncoder();

/** otherName [0]: type-id and an already encoded value (wrapped in [0] EXPLICIT). */
export function otherName(typeId: string, value: Der): Der {
  return implicit(0, concat(oid(typeId), explicit(0, value)), true);
}

/** rfc822Name [1] (IA5String content, not checked). */
export function rfc822Name(mailbox: string): Der {
  return implicit(1, text.encode(mailbox));
}

/** dNSName [2]. */
export function dnsName(host: string): Der {
  return implicit(2, text.encode(host));
}

/** directoryName [4] (EXPLICIT, Name is a CHOICE). */
export function directoryName(nameDer: Der): Der {
  return explicit(4, nameDer);
}

/** uniformResourceIdentifier [6]. */
export function uri(value: string): Der {
  return implicit(6, text.encode(value));
}

/** iPAddress [7] with raw octets (4 or 16 for a SAN; 8 or 32 with a mask for a constraint). */
export function ipAddress(octets: Uint8Array): Der {
  return implicit(7, octets);
}

/** registeredID [8]. */
export function registeredId(dotted: string): Der {
  const o = oid(dotted);
  return tlv(0x88, o.subarray(2));
}

/** Octets of an IPv4 ("10.0.0.1") or IPv6 ("2001:db8::1", full or "::"-compressed) address. */
export function ipOctets(address: string): Der {
  if (address.includes(":")) {
    const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    const out = new Uint8Array(16);
    groups.forEach((g, i) => {
      const v = parseInt(g, 16);
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v & 0xff;
    });
    return out;
  }
  return new Uint8Array(address.split(".").map(Number));
}

/** Address and mask octets of a CIDR range ("10.0.0.0/8" → 8 octets, "2001:db8::/32" → 32). */
export function ipRange(cidr: string): Der {
  const [addr, bits] = cidr.split("/");
  const a = ipOctets(addr!);
  const mask = new Uint8Array(a.length);
  for (let i = 0; i < Number(bits); i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  return concat(a, mask);
}
