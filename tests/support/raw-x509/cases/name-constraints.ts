// Name constraints (RFC 5280 §4.2.1.10; path processing §6.1.3 (b), (c), §6.1.4 (g)).
import { type Der, tlv } from "../der.ts";
import { type Extension, extension, nameConstraints, subjectAltName, type Subtree } from "../extensions.ts";
import { directoryName, dnsName, ipAddress, ipOctets, ipRange, registeredId, rfc822Name, uri } from "../general-name.ts";
import { dn } from "../name.ts";
import { EXT } from "../oids.ts";
import { ca, leaf, root } from "../pki.ts";
import { type CaseInput, input, single, TD, twins, type X509Case } from "./case.ts";

const P_6_1_3_B =
  "RFC 5280 §6.1.3 (b): \"verify that the subject name is within one of the permitted_subtrees for X.500 distinguished names, and verify that each of the alternative names in the subjectAltName extension (critical or non-critical) is within one of the permitted_subtrees for that name type\"";
const P_6_1_3_C = "RFC 5280 §6.1.3 (c): \"verify that the subject name is not within any of the excluded_subtrees for X.500 distinguished names, and verify that each of the alternative names in the subjectAltName extension ... is not within any of the excluded_subtrees for that name type\"";

/** root → A (name constraints `nc`) → leaf (`id`, extra SAN names, subject). */
async function constrained(nc: Extension | undefined, o: { id?: string; extraSans?: Der[]; subject?: Der; td?: string } = {}): Promise<CaseInput> {
  const r = await root();
  const a = await ca(r, { add: nc ? [nc] : [] });
  const id = o.id ?? `spiffe://${o.td ?? TD}/workload`;
  const l = await leaf(a, { sans: [uri(id), ...(o.extraSans ?? [])], subject: o.subject });
  return input([l, a], [r], { trustDomain: o.td ?? TD });
}

const permitUri = (...hosts: string[]): Extension => nameConstraints({ permitted: hosts.map(uri) });

/** Name-constraint cases (every name form, intersection and union down the path, exemptions, malformed constraints, cost). */
export const nameConstraintCases: X509Case[] = [
  ...twins(
    "nc/permitted-intersect-down-the-path",
    "RFC 5280 §6.1.4 (g)(1): permitted_subtrees := intersection of permitted_subtrees and the certificate's permittedSubtrees; A permits example.org, the sub-CA B below it permits other.org: other.org is outside the intersection, although the same root is in other.org's bundle",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    async (bad) => {
      const r = await root();
      const a = await ca(r, { add: bad ? [permitUri("example.org")] : [] });
      const b = await ca(a, { add: [permitUri("other.org")] });
      const l = await leaf(b, { id: "spiffe://other.org/admin" });
      return input([l, b, a], [r], { trustDomain: "other.org" });
    },
  ),
  ...twins(
    "nc/excluded-union-down-the-path",
    "RFC 5280 §6.1.4 (g)(2): excluded_subtrees := union of excluded_subtrees and the certificate's excludedSubtrees; A excludes other.org, B excludes third.org",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    async (bad) => {
      const r = await root();
      const a = await ca(r, { add: bad ? [nameConstraints({ excluded: [uri("other.org")] })] : [] });
      const b = await ca(a, { add: [nameConstraints({ excluded: [uri("third.org")] })] });
      const l = await leaf(b, { id: "spiffe://other.org/admin" });
      return input([l, b, a], [r], { trustDomain: "other.org" });
    },
  ),
  ...twins(
    "nc/every-san-must-match",
    `${P_6_1_3_B}: the URI matches, the dNSName evil.com does not`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), dnsName("example.org")] }), { extraSans: [dnsName(bad ? "evil.com" : "svc.example.org")] }),
  ),
  ...twins(
    "nc/uri-host-is-exact",
    "RFC 5280 §4.2.1.10: \"When the constraint does not begin with a period, it specifies a host.\" (URI constraint example.org does not cover sub.example.org)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(permitUri("example.org"), { td: bad ? "sub.example.org" : "example.org" }),
  ),
  ...twins(
    "nc/uri-leading-period-is-subdomains-only",
    "RFC 5280 §4.2.1.10: \"If a constraint begins with a period, it MAY be expanded with one or more subdomains ... However, the constraint \".example.com\" is not satisfied by \"example.com\".\"",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(permitUri(".example.org"), { td: bad ? "example.org" : "sub.example.org" }),
  ),
  ...twins(
    "nc/uri-excluded-host",
    `${P_6_1_3_C} (URI host example.org excluded)`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ excluded: [uri(bad ? "example.org" : "other.org")] })),
  ),
  ...twins(
    "nc/dns-labels-on-the-left",
    "RFC 5280 §4.2.1.10: \"Any DNS name that can be constructed by simply adding zero or more labels to the left-hand side of the name satisfies the name constraint.\" (badexample.org is not example.org plus labels; a.b.example.org is)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), dnsName("example.org")] }), { extraSans: [dnsName(bad ? "badexample.org" : "a.b.example.org")] }),
  ),
  single(
    "nc/dns-zero-labels-added",
    "RFC 5280 §4.2.1.10: \"adding zero or more labels\": example.org satisfies the constraint example.org",
    "accept",
    () => constrained(nameConstraints({ permitted: [uri("example.org"), dnsName("example.org")] }), { extraSans: [dnsName("example.org")] }),
  ),
  ...twins(
    "nc/dns-excluded",
    `${P_6_1_3_C} (dNSName svc.internal.example.org is within the excluded internal.example.org)`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ excluded: [dnsName("internal.example.org")] }), { extraSans: [dnsName(bad ? "svc.internal.example.org" : "svc.example.org")] }),
  ),
  ...twins(
    "nc/ipv4-range",
    "RFC 5280 §4.2.1.10: iPAddress constraints are an address range \"10.0.0.0/8\" (address and mask); 11.0.0.1 is outside, 10.1.2.3 inside",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), ipAddress(ipRange("10.0.0.0/8"))] }), { extraSans: [ipAddress(ipOctets(bad ? "11.0.0.1" : "10.1.2.3"))] }),
  ),
  ...twins(
    "nc/ipv6-range",
    "RFC 5280 §4.2.1.10: for IPv6 the constraint is 32 octets, address and mask (2001:db8::/32); 2001:db9::1 is outside",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), ipAddress(ipRange("2001:db8::/32"))] }), { extraSans: [ipAddress(ipOctets(bad ? "2001:db9::1" : "2001:db8:1::1"))] }),
  ),
  ...twins(
    "nc/ip-excluded",
    `${P_6_1_3_C} (192.168.1.7 is within the excluded 192.168.0.0/16)`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ excluded: [ipAddress(ipRange("192.168.0.0/16"))] }), { extraSans: [ipAddress(ipOctets(bad ? "192.168.1.7" : "10.0.0.7"))] }),
  ),
  ...twins(
    "nc/ip-family-not-permitted",
    `${P_6_1_3_B}: with only an IPv6 range permitted, an IPv4 address is within no permitted iPAddress subtree`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) =>
      constrained(nameConstraints({ permitted: [uri("example.org"), ipAddress(ipRange("2001:db8::/32")), ...(bad ? [] : [ipAddress(ipRange("10.0.0.0/8"))])] }), {
        extraSans: [ipAddress(ipOctets("10.0.0.1"))],
      }),
  ),
  ...twins(
    "nc/rfc822-mailbox",
    "RFC 5280 §4.2.1.10: \"a constraint for an rfc822Name ... can specify a particular mailbox\" (admin@example.org permits only that mailbox)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), rfc822Name("admin@example.org")] }), { extraSans: [rfc822Name(bad ? "other@example.org" : "admin@example.org")] }),
  ),
  ...twins(
    "nc/rfc822-host",
    "RFC 5280 §4.2.1.10: \"all addresses at a particular host\" (example.org: x@sub.example.org is not at that host)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), rfc822Name("example.org")] }), { extraSans: [rfc822Name(bad ? "x@sub.example.org" : "x@example.org")] }),
  ),
  ...twins(
    "nc/rfc822-domain",
    "RFC 5280 §4.2.1.10: \"To indicate all Internet mail addresses on hosts in a domain, the constraint is specified with a leading period\" (.example.org: not x@example.org itself)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), rfc822Name(".example.org")] }), { extraSans: [rfc822Name(bad ? "x@example.org" : "x@mail.example.org")] }),
  ),
  ...twins(
    "nc/rfc822-subject-email-address",
    "RFC 5280 §4.2.1.10: \"When constraints are imposed on the rfc822Name name form, but the certificate does not include a subject alternative name, the rfc822Name constraint MUST be applied to the attribute of type emailAddress in the subject distinguished name.\" (sub-CA B has no SAN and emailAddress ca@evil.com)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    async (bad) => {
      const r = await root();
      const a = await ca(r, { add: [nameConstraints({ permitted: [rfc822Name("example.org")] })] });
      const b = await ca(a, { subject: dn({ o: "SPIFFE", cn: "B", email: bad ? "ca@evil.com" : "ca@example.org" }) });
      const l = await leaf(b);
      return input([l, b, a], [r]);
    },
  ),
  ...twins(
    "nc/directory-name-subject",
    `${P_6_1_3_B}; §4.2.1.10: "Restrictions of the form directoryName MUST be applied to the subject field in the certificate"`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [directoryName(dn({ o: "SPIFFE" }))] }), { subject: dn({ o: bad ? "Evil" : "SPIFFE", cn: "leaf" }) }),
  ),
  ...twins(
    "nc/directory-name-in-san",
    `${P_6_1_3_B}; §4.2.1.10: "and to the subjectAltName extensions of type directoryName"`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [directoryName(dn({ o: "SPIFFE" }))] }), { extraSans: [directoryName(dn({ o: bad ? "Evil" : "SPIFFE", cn: "alt" }))] }),
  ),
  ...twins(
    "nc/directory-name-excluded",
    `${P_6_1_3_C} (subject O=SPIFFE, OU=Blocked, CN=leaf is within the excluded O=SPIFFE, OU=Blocked)`,
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ excluded: [directoryName(dn({ o: "SPIFFE", ou: "Blocked" }))] }), { subject: dn({ o: "SPIFFE", ou: bad ? "Blocked" : "Open", cn: "leaf" }) }),
  ),
  single(
    "nc/directory-name-empty-subject",
    "RFC 5280 §4.2.1.10: directoryName restrictions apply \"when the certificate includes a non-empty subject field\"; an empty subject with a critical SAN is not constrained by them",
    "accept",
    async () => {
      const r = await root();
      const a = await ca(r, { add: [nameConstraints({ permitted: [directoryName(dn({ o: "SPIFFE" }))] })] });
      const l = await leaf(a, { subject: dn({}), drop: [EXT.subjectAltName], add: [subjectAltName([uri(`spiffe://${TD}/workload`)], true)] });
      return input([l, a], [r]);
    },
  ),
  ...twins(
    "nc/bundle-authority-constraints",
    "RFC 5937 §3 (trust anchor constraints): name constraints carried by the trust anchor's certificate set initial-permitted-subtrees; the bundle root permits other.org only",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    async (bad) => {
      const r = await root({ add: [permitUri(bad ? "other.org" : "example.org")] });
      const a = await ca(r);
      const l = await leaf(a);
      return input([l, a], [r]);
    },
  ),
  ...twins(
    "nc/self-issued-intermediate-is-exempt",
    "RFC 5280 §6.1.3 (b): \"If certificate i is self-issued and it is not the final certificate in the path, skip this step for certificate i.\" (B carries dNSName ca.evil.com; in the ~ok twin B is self-issued, in the rejected one it is not)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    async (bad) => {
      const r = await root();
      const a = await ca(r, { add: [nameConstraints({ permitted: [uri("example.org"), dnsName("example.org")] })] });
      const b = await ca(a, { subject: bad ? dn({ o: "SPIFFE", cn: "B" }) : a.name, add: [subjectAltName([dnsName("ca.evil.com")])] });
      const l = await leaf(b);
      return input([l, b, a], [r]);
    },
  ),
  ...twins(
    "nc/self-issued-leaf-is-not-exempt",
    "RFC 5280 §6.1.3 (b): the self-issued exemption is only for a certificate that \"is not the final certificate in the path\"; the leaf here is self-issued (subject = issuer name) and carries dNSName evil.com",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    async (bad) => {
      const r = await root();
      const a = await ca(r, { add: [nameConstraints({ permitted: [uri("example.org"), dnsName("example.org")] })] });
      const l = await leaf(a, { subject: a.name, sans: [uri(`spiffe://${TD}/workload`), dnsName(bad ? "evil.com" : "svc.example.org")] });
      return input([l, a], [r]);
    },
  ),
  ...twins(
    "nc/unprocessed-name-form-present",
    "RFC 5280 §4.2.1.10: \"If a name constraints extension that is marked as critical imposes constraints on a particular name form, and an instance of that name form appears in the subject field or subjectAltName extension of a subsequent certificate, then the application MUST either process the constraint or reject the certificate.\" (registeredID 1.2.3.4 permitted; the leaf has registeredID 1.2.3.5; the ~ok twin has no registeredID)",
    "ERR_X509_SVID_NAME_CONSTRAINTS",
    (bad) => constrained(nameConstraints({ permitted: [uri("example.org"), registeredId("1.2.3.4")] }), { extraSans: bad ? [registeredId("1.2.3.5")] : [] }),
  ),
  ...malformed(),
  ...limit(),
];

/** Malformed name constraints: the certificate itself is invalid (ERR_X509_SVID_CERTIFICATE). */
function malformed(): X509Case[] {
  const mask = (hex: string): Der => ipAddress(new Uint8Array([10, 0, 0, 0, ...hex.match(/../g)!.map((h) => parseInt(h, 16))]));
  const bad = (name: string, spec: string, build: (bad: boolean) => Promise<CaseInput>): X509Case[] => twins(name, spec, "ERR_X509_SVID_CERTIFICATE", build);
  return [
    ...bad("nc/ip-mask-not-contiguous", "RFC 5280 §4.2.1.10: the iPAddress constraint is an address range in CIDR form (RFC 4632): mask ff00ff00 is not a prefix mask", (b) =>
      constrained(nameConstraints({ permitted: [uri("example.org"), b ? mask("ff00ff00") : mask("ff000000")] })),
    ),
    ...bad("nc/ip-constraint-length", "RFC 5280 §4.2.1.10: an iPAddress constraint is 8 octets (IPv4) or 32 octets (IPv6); 5 octets is malformed", (b) =>
      constrained(nameConstraints({ permitted: [uri("example.org"), b ? ipAddress(new Uint8Array([10, 0, 0, 0, 255])) : ipAddress(ipRange("10.0.0.0/8"))] })),
    ),
    ...bad("nc/minimum-not-zero", "RFC 5280 §4.2.1.10: \"Within this profile, the minimum and maximum fields are not used with any name forms, thus, the minimum MUST be zero, and maximum MUST be absent.\"", (b) =>
      constrained(nameConstraints({ permitted: [b ? ({ base: uri("example.org"), minimum: 1 } as Subtree) : uri("example.org")] })),
    ),
    ...bad("nc/minimum-zero-encoded", "X.690 §11.5 (DER): \"The encoding of a set value or sequence value shall not include an encoding for any component value which is equal to its default value\" (minimum DEFAULT 0 written explicitly)", (b) =>
      constrained(nameConstraints({ permitted: [b ? ({ base: uri("example.org"), minimum: 0 } as Subtree) : uri("example.org")] })),
    ),
    ...bad("nc/maximum-present", "RFC 5280 §4.2.1.10: \"... and maximum MUST be absent.\"", (b) =>
      constrained(nameConstraints({ permitted: [b ? ({ base: uri("example.org"), maximum: 3 } as Subtree) : uri("example.org")] })),
    ),
    ...bad("nc/empty-extension", "RFC 5280 §4.2.1.10: \"Conforming CAs MUST NOT issue certificates where name constraints is an empty sequence. That is, either the permittedSubtrees field or the excludedSubtrees MUST be present.\"", (b) =>
      constrained(b ? nameConstraints({}) : permitUri("example.org")),
    ),
    ...bad("nc/empty-subtrees", "RFC 5280 §4.2.1.10: GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree (an empty permittedSubtrees is not DER of the ASN.1)", (b) =>
      constrained(b ? extension(EXT.nameConstraints, tlv(0x30, tlv(0xa0, new Uint8Array(0))), true) : permitUri("example.org")),
    ),
  ];
}

/** Name-constraint checking must be bounded: 1,000 constraints × 1,000 names is refused as too much work. */
function limit(): X509Case[] {
  const constraints = (n: number): Der[] => [uri("example.org"), ...Array.from({ length: n - 1 }, (_, k) => dnsName(`c${k}.example.com`)), dnsName("example.net")];
  const names = (n: number): Der[] => Array.from({ length: n }, (_, k) => dnsName(`n${k}.example.net`));
  return twins(
    "nc/comparison-limit",
    "Issue 14 (bounded cost): name-constraint comparisons are capped at 1,024 per verification (ERR_X509_SVID_VERIFICATION_LIMIT); 100 dNSName constraints × 100 dNSNames (10,000 comparisons) is over it; 100 × 2 is not",
    "ERR_X509_SVID_VERIFICATION_LIMIT",
    (bad) => constrained(nameConstraints({ permitted: constraints(100) }), { extraSans: names(bad ? 100 : 2) }),
  );
}
