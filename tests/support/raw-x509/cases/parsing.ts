// Strict parsing (RFC 5280 §4.1, §4.2 and X.690 DER): each fault makes the certificate
// invalid, ERR_X509_SVID_CERTIFICATE. Faults are in the leaf unless said otherwise.
import { bitString, boolean, concat, type Der, generalizedTime, integer, oid, rawTime, seq, tlv, utcTime } from "../der.ts";
import { authorityKeyIdentifier, basicConstraints, encodeExtension, extension, extKeyUsage, keyUsageRaw, subjectAltName, subjectKeyIdentifier } from "../extensions.ts";
import { encodeTbs, signTbs, type TbsFields } from "../certificate.ts";
import { dnsName, ipAddress, rfc822Name, uri } from "../general-name.ts";
import { dn, name } from "../name.ts";
import { ATTR, EKU, EXT } from "../oids.ts";
import { ca, type LeafOptions, leaf, root, type CaOptions } from "../pki.ts";
import { type CaseInput, input, single, TD, twins, type X509Case } from "./case.ts";

const ID = `spiffe://${TD}/workload`;

async function leafWith(o: LeafOptions): Promise<CaseInput> {
  const r = await root();
  const i = await ca(r);
  const l = await leaf(i, o);
  return input([l, i], [r]);
}

async function intermediateWith(o: CaOptions): Promise<CaseInput> {
  const r = await root();
  const i = await ca(r, o);
  const l = await leaf(i);
  return input([l, i], [r]);
}

const edit = (change: (f: TbsFields) => void): LeafOptions => ({ edit: change });
const bad = (name: string, spec: string, build: (bad: boolean) => Promise<CaseInput>): X509Case[] => twins(name, spec, "ERR_X509_SVID_CERTIFICATE", build);
const DER_DEFAULT = "X.690 §11.5 (DER): \"The encoding of a set value or sequence value shall not include an encoding for any component value which is equal to its default value.\"";
const UTC = "RFC 5280 §4.1.2.5.1: UTCTime \"MUST be expressed in Greenwich Mean Time (Zulu) and MUST include seconds (i.e., times are YYMMDDHHMMSSZ)\"";
const plus30 = new Date("2026-03-31T12:00:00Z");

/** The leaf's default extensions with the SAN replaced by `san` (raw or structured). */
function leafSan(san: Der): LeafOptions {
  return { drop: [EXT.subjectAltName], add: [san] };
}

/** Strict-parsing cases (each must be rejected with ERR_X509_SVID_CERTIFICATE; twins accepted). */
export const parsingCases: X509Case[] = [
  ...bad("der/v1-with-extensions", "RFC 5280 §4.1.2.1: \"If extensions are present, version MUST be v3\" (version field absent = v1)", (b) => leafWith(edit((f) => void (f.version = b ? null : 2)))),
  ...bad("der/v2-with-extensions", "RFC 5280 §4.1.2.1: \"If extensions are present, version MUST be v3\" (version 1 = v2)", (b) => leafWith(edit((f) => void (f.version = b ? 1 : 2)))),
  ...bad("der/explicit-default-version", `${DER_DEFAULT} (version [0] INTEGER 0 written out; version DEFAULT v1)`, (b) => leafWith(edit((f) => void (f.version = b ? 0 : 2)))),
  ...bad("der/unknown-version", "RFC 5280 §4.1: Version ::= INTEGER { v1(0), v2(1), v3(2) } (here 3)", (b) => leafWith(edit((f) => void (f.version = b ? 3 : 2)))),
  ...bad("der/negative-serial", "RFC 5280 §4.1.2.2: \"The serial number MUST be a positive integer\"", (b) => leafWith({ serial: b ? -5n : 5n })),
  ...bad("der/zero-serial", "RFC 5280 §4.1.2.2: \"The serial number MUST be a positive integer\" (zero is not; the note that users SHOULD handle such certificates gracefully does not make them valid)", (b) => leafWith({ serial: b ? 0n : 1n })),
  ...bad("der/serial-over-20-octets", "RFC 5280 §4.1.2.2: \"Conforming CAs MUST NOT use serialNumber values longer than 20 octets.\" (21-octet value; the ~ok twin has 20 octets)", (b) =>
    leafWith({ serial: b ? 2n ** 164n + 1n : 2n ** 158n + 1n }),
  ),
  ...bad("der/serial-non-minimal", "X.690 §8.3.2: the bits of the first octet and bit 8 of the second octet of an INTEGER \"shall not all be zero\" (02 02 00 01)", (b) =>
    leafWith({ serial: b ? tlv(0x02, new Uint8Array([0, 1])) : 1n }),
  ),
  ...bad("der/extended-key-usage-malformed", "RFC 5280 §4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (an INTEGER where a KeyPurposeId OID must be)", (b) =>
    leafWith({ drop: [EXT.extKeyUsage], add: [b ? extension(EXT.extKeyUsage, seq(integer(1))) : extKeyUsage([EKU.serverAuth])] }),
  ),
  ...bad("der/extended-key-usage-empty", "RFC 5280 §4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (empty)", (b) =>
    leafWith({ drop: [EXT.extKeyUsage], add: [b ? extension(EXT.extKeyUsage, seq()) : extKeyUsage([EKU.clientAuth])] }),
  ),
  ...bad("der/san-dns-name-malformed", "RFC 5280 §4.2.1.6: dNSName \"MUST be in the 'preferred name syntax', as specified by Section 3.5 of [RFC1034]\" (\"not a host!\")", (b) =>
    leafWith({ sans: [uri(ID), dnsName(b ? "not a host!" : "svc.example.org")] }),
  ),
  ...bad("der/san-uri-malformed", "RFC 5280 §4.2.1.6: a uniformResourceIdentifier \"MUST be stored ... as a URI as defined in [RFC3986]\" and \"MUST include both a scheme ... and a scheme-specific-part\" (the intermediate's URI SAN is \"not a uri\")", (b) =>
    intermediateWith({ add: [subjectAltName([uri(b ? "not a uri" : `spiffe://${TD}`)])] }),
  ),
  ...bad("der/san-rfc822-name-malformed", "RFC 5280 §4.2.1.6: rfc822Name is \"a Mailbox as defined in Section 4.1.2 of [RFC2821]\" (\"no-at-sign\" is not one)", (b) =>
    leafWith({ sans: [uri(ID), rfc822Name(b ? "no-at-sign" : "ops@example.org")] }),
  ),
  ...bad("der/san-ip-address-length", "RFC 5280 §4.2.1.6: iPAddress \"the octet string MUST contain exactly four octets\" (IPv4) or \"exactly sixteen octets\" (IPv6); here five", (b) =>
    leafWith({ sans: [uri(ID), ipAddress(new Uint8Array(b ? [10, 0, 0, 1, 0] : [10, 0, 0, 1]))] }),
  ),
  ...bad("der/san-empty", "RFC 5280 §4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (the intermediate's SAN is empty)", (b) =>
    intermediateWith({ add: [extension(EXT.subjectAltName, b ? seq() : seq(uri(`spiffe://${TD}`)))] }),
  ),
  ...bad("der/key-cert-sign-in-padding-bits", "X.690 §11.2.1 (DER): \"Each unused bit in the final octet of the encoding of a bit string value shall be set to zero.\" (the intermediate's keyUsage 0x84 with 7 unused bits: keyCertSign only in the padding)", (b) =>
    intermediateWith({ drop: [EXT.keyUsage], add: [keyUsageRaw(new Uint8Array([0x84]), b ? 7 : 2)] }),
  ),
  ...bad("der/key-usage-trailing-zero-bits", "X.690 §11.2.2 (DER): for a named bit list \"any trailing 0 bits shall be removed before the bit string value is encoded\" (03 02 00 80)", (b) =>
    leafWith({ drop: [EXT.keyUsage], add: [keyUsageRaw(new Uint8Array([0x80]), b ? 0 : 7)] }),
  ),
  ...bad("der/subject-key-identifier-critical", "RFC 5280 §4.2.1.2: \"Conforming CAs MUST mark this extension as non-critical.\"", (b) =>
    leafWith({ drop: [EXT.subjectKeyIdentifier], add: [subjectKeyIdentifier(new Uint8Array(20).fill(7), b)] }),
  ),
  ...bad("der/authority-key-identifier-critical", "RFC 5280 §4.2.1.1: \"Conforming CAs MUST mark this extension as non-critical.\"", (b) =>
    leafWith({ drop: [EXT.authorityKeyIdentifier], add: [authorityKeyIdentifier(new Uint8Array(20).fill(9), b)] }),
  ),
  ...bad("der/duplicate-extension", "RFC 5280 §4.2: \"A certificate MUST NOT include more than one instance of a particular extension.\" (two extKeyUsage)", (b) =>
    leafWith({ add: b ? [extKeyUsage([EKU.serverAuth])] : [] }),
  ),
  ...bad("der/trailing-bytes-after-certificate", "X.690 / RFC 5280 §4.1: one DER element is one Certificate; a byte after it is not part of any", (b) => leafWith({ sign: { after: b ? new Uint8Array([0]) : undefined } })),
  ...bad("der/trailing-bytes-in-tbs", "RFC 5280 §4.1: TBSCertificate ends with [3] extensions; a NULL after it matches no component", (b) => leafWith(edit((f) => void (f.trailing = b ? new Uint8Array([5, 0]) : undefined)))),
  ...bad("der/trailing-bytes-in-certificate", "RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (a NULL after the signature)", (b) =>
    leafWith({ sign: { inner: b ? new Uint8Array([5, 0]) : undefined } }),
  ),
  ...bad("der/non-minimal-length", "X.690 §10.1 (DER): \"The definite form of length encoding shall be used, encoded in the minimum number of octets.\" (the SAN extnValue length as 81 xx)", (b) =>
    leafWith(leafSan(b ? seq(oid(EXT.subjectAltName), tlv(0x04, seq(uri(ID)), { lengthOctets: 1 })) : encodeExtension(subjectAltName([uri(ID)])))),
  ),
  ...bad("der/non-minimal-length-tbs", "X.690 §10.1 (DER): minimum number of length octets (the TBSCertificate's own length with one extra 00 octet)", async (b) => {
    const r = await root();
    const i = await ca(r);
    const l = await leaf(i);
    if (!b) return input([l, i], [r]);
    const tbs = encodeTbs(l.fields);
    const body = tbs.subarray(tbs[1]! & 0x80 ? 2 + (tbs[1]! & 0x7f) : 2);
    const longer = tlv(0x30, body, { lengthOctets: (tbs[1]! & 0x7f) + 1 });
    return { ...input([l, i], [r]), chain: [await signTbs(longer, l.signedBy), i.der] };
  }),
  ...bad("der/boolean-not-ff", "X.690 §11.1 (DER): \"If the encoding represents the boolean value TRUE, its single contents octet shall have all eight bits set to one.\" (the intermediate's basicConstraints cA is 01)", (b) =>
    intermediateWith({ drop: [EXT.basicConstraints], add: [extension(EXT.basicConstraints, seq(boolean(true, b ? 0x01 : 0xff)), true)] }),
  ),
  ...bad("der/critical-boolean-not-ff", "X.690 §11.1 (DER): TRUE is FF (the leaf's keyUsage critical flag is 01)", (b) =>
    leafWith({ drop: [EXT.keyUsage], add: [extension(EXT.keyUsage, bitString(new Uint8Array([0x80]), 7), boolean(true, b ? 0x01 : 0xff))] }),
  ),
  ...bad("der/critical-false-encoded", `${DER_DEFAULT} (an extension's critical DEFAULT FALSE written as 01 01 00)`, (b) =>
    leafWith({ drop: [EXT.extKeyUsage], add: [extension(EXT.extKeyUsage, seq(oid(EKU.serverAuth)), b ? boolean(false) : false)] }),
  ),
  ...bad("der/basic-constraints-ca-false-encoded", `${DER_DEFAULT} (the leaf's basicConstraints cA DEFAULT FALSE written out)`, (b) =>
    leafWith({ drop: [EXT.basicConstraints], add: [basicConstraints({ ca: b ? "explicit-false" : undefined })] }),
  ),
  ...bad("der/extension-value-trailing-bytes", "RFC 5280 §4.1: extnValue contains the DER encoding of one ASN.1 value; here basicConstraints is followed by a NULL", (b) =>
    leafWith({ drop: [EXT.basicConstraints], add: [extension(EXT.basicConstraints, b ? concat(seq(), new Uint8Array([5, 0])) : seq(), true)] }),
  ),
  ...bad("der/utc-time-without-seconds", UTC, (b) => leafWith({ notAfter: b ? rawTime(0x17, "2603311200Z") : utcTime(plus30) })),
  ...bad("der/utc-time-with-offset", UTC, (b) => leafWith({ notAfter: b ? rawTime(0x17, "260331120000+0000") : utcTime(plus30) })),
  ...bad("der/generalized-time-before-2050", "RFC 5280 §4.1.2.5: \"CAs conforming to this profile MUST always encode certificate validity dates through the year 2049 as UTCTime\"", (b) =>
    leafWith({ notAfter: b ? generalizedTime(plus30) : utcTime(plus30) }),
  ),
  ...bad("der/generalized-time-fraction", "RFC 5280 §4.1.2.5.2: GeneralizedTime values \"MUST NOT include fractional seconds\"", (b) =>
    leafWith({ notAfter: b ? rawTime(0x18, "20500101000000.5Z") : generalizedTime(new Date("2050-01-01T00:00:00Z")) }),
  ),
  ...bad("der/utc-time-invalid-date", "RFC 5280 §4.1.2.5.1 / X.680 §47: a UTCTime is a calendar date; February 30 is none", (b) =>
    leafWith({ notAfter: rawTime(0x17, b ? "260230120000Z" : "260302120000Z") }),
  ),
  ...bad("der/unique-id-bad-bit-string", "RFC 5280 §4.1: UniqueIdentifier ::= BIT STRING; X.690 §8.6.2.2: the initial octet (unused bits) is 0 to 7 (here 8); the ~ok twin has valid unique identifiers, which users SHOULD be able to parse (§4.1.2.8)", (b) =>
    leafWith(edit((f) => {
      f.issuerUniqueId = new Uint8Array([0, 1, 2]);
      f.subjectUniqueId = new Uint8Array([b ? 8 : 0, 3, 4]);
    })),
  ),
  ...bad("der/printable-string-alphabet", "X.680 §41.4: PrintableString excludes \"@\" (subject C=U@)", (b) => leafWith({ subject: dn({ c: b ? "U@" : "US", o: "SPIFFE", cn: "leaf" }) })),
  ...bad("der/utf8-string-invalid", "X.680 §41 / RFC 3629: a UTF8String holds UTF-8; C3 28 is not (subject CN)", (b) =>
    leafWith({ subject: name([{ type: ATTR.organization, value: "SPIFFE" }], [{ type: ATTR.commonName, value: tlv(0x0c, new Uint8Array(b ? [0x6c, 0xc3, 0x28] : [0x6c, 0xc3, 0xa9])) }]) }),
  ),
  single("der/empty-subject-with-critical-san", "RFC 5280 §4.1.2.6: \"If subject naming information is present only in the subjectAltName extension ... then the subject name MUST be an empty sequence and the subjectAltName extension MUST be critical.\"", "accept", () =>
    leafWith({ subject: dn({}), ...leafSan(encodeExtension(subjectAltName([uri(ID)], true))) }),
  ),
];
