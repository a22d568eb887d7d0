import { beforeAll, describe, expect, test } from "bun:test";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as pkijs from "pkijs";
import { X509Bundle } from "../../../src/core/bundle/x509-bundle.ts";
import { X509SvidError } from "../../../src/core/errors/x509-svid-error.ts";
import { HANDLED_EXTENSIONS, readCertificate } from "../../../src/core/lib/certificate.ts";
import { verifyX509Svid } from "../../../src/core/svid/x509/verify-x509-svid.ts";
import { concatBytes, createCa, issueLeaf, type TestCa, type TestCert, uriNameConstraints } from "../../support/test-pki.ts";

const TD = "example.org";

// readCertificate decodes certificates with our own strict DER reader. These tests hold its
// fields to pkijs' own parse, field by field, and check that encodings DER forbids are refused.

let root: TestCa;
let inter: TestCa;
const certs: Record<string, TestCert> = {};

beforeAll(async () => {
  root = await createCa({ trustDomain: TD });
  inter = await createCa({ parent: root, pathLen: 0, extraExtensions: [uriNameConstraints([TD], true)] });
  const p384 = await createCa({ trustDomain: TD, keyAlg: "P-384" });
  certs.root = root;
  certs.intermediate = inter;
  certs.p384Root = p384;
  certs.leaf = await issueLeaf(inter);
  certs.emptySubject = await issueLeaf(inter, { emptySubject: true });
  certs.dnsSans = await issueLeaf(inter, { dnsSans: ["a.example.org", "b.example.org"] });
  certs.rsaLeaf = await issueLeaf(inter, { keyAlg: "RSA-2048" });
  certs.p384Leaf = await issueLeaf(p384);
  certs.criticalUnknown = await issueLeaf(inter, { extraCriticalExtension: "1.2.3.4.5" });
  certs.ipSan = await issueLeaf(inter, {
    uriSans: [],
    extraExtensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: "url", value: `spiffe://${TD}/w` },
        { type: "ip", value: "10.0.0.1" },
      ]),
    ],
  });
});

const hex = (b: ArrayBuffer | Uint8Array): string => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

describe("readCertificate agrees with pkijs' own parse", () => {
  test("every field both decode, for CAs and leaves of every shape", () => {
    for (const [name, cert] of Object.entries(certs)) {
      const info = readCertificate(cert.der);
      if (typeof info === "string") throw new Error(`${name}: ${info}`);
      const full = pkijs.Certificate.fromBER(cert.der);
      expect([name, hex(info.tbs)]).toEqual([name, hex(full.tbsView)]);
      expect(info.version).toBe(full.version + 1);
      expect(info.serialNumberHex).toBe(hex(full.serialNumber.valueBlock.valueHexView));
      expect([info.signatureAlgorithm.oid, info.tbsSignatureAlgorithm.oid]).toEqual([full.signatureAlgorithm.algorithmId, full.signature.algorithmId]);
      expect(hex(info.signatureValue)).toBe(hex(full.signatureValue.valueBlock.valueHexView));
      expect(hex(info.issuerName)).toBe(hex(full.issuer.valueBeforeDecode));
      expect(hex(info.subjectName)).toBe(hex(full.subject.valueBeforeDecode));
      expect(info.subject.flat().map((a) => a.type)).toEqual(full.subject.typesAndValues.map((tv) => tv.type));
      expect(info.selfIssued).toBe(full.issuer.isEqual(full.subject));
      expect([info.notBefore.getTime(), info.notAfter.getTime()]).toEqual([full.notBefore.value.getTime(), full.notAfter.value.getTime()]);
      expect(hex(info.spki)).toBe(hex(full.subjectPublicKeyInfo.toSchema().toBER(false)));
      const extensions = full.extensions ?? [];
      const critical = extensions.filter((e) => e.critical).map((e) => e.extnID);
      expect(critical.filter((oid) => !HANDLED_EXTENSIONS.has(oid))).toEqual([...info.unhandledCriticalExtensions]);
      const bc = extensions.find((e) => e.extnID === "2.5.29.19")?.parsedValue as pkijs.BasicConstraints | undefined;
      expect([name, info.isCa, info.pathLenConstraint]).toEqual([name, bc?.cA ?? false, bc?.pathLenConstraint as number | undefined]);
      const san = extensions.find((e) => e.extnID === "2.5.29.17")?.parsedValue as pkijs.AltName | undefined;
      expect(info.subjectAltNames.length).toBe(san?.altNames.length ?? 0);
      expect(info.uriSans).toEqual((san?.altNames ?? []).filter((n) => n.type === 6).map((n) => String(n.value)));
    }
  });

  test("the SPIFFE fields", () => {
    const leaf = readCertificate(certs.dnsSans!.der);
    if (typeof leaf === "string") throw new Error(leaf);
    expect(leaf.uriSans).toEqual([`spiffe://${TD}/workload`]);
    expect(leaf.isCa).toBe(false);
    expect(leaf.keyUsage).toEqual({ digitalSignature: true, keyCertSign: false, cRLSign: false });
    expect(leaf.serialNumberHex).toBe(certs.dnsSans!.serialNumber);
    expect(leaf.notBefore.getTime()).toBe(certs.dnsSans!.notBefore.getTime());
    const ca = readCertificate(inter.der);
    if (typeof ca === "string") throw new Error(ca);
    expect([ca.isCa, ca.pathLenConstraint, ca.keyUsage?.keyCertSign]).toEqual([true, 0, true]);
    const ip = readCertificate(certs.ipSan!.der);
    if (typeof ip === "string") throw new Error(ip);
    expect(ip.uriSans).toEqual([`spiffe://${TD}/w`]);
    const unknown = readCertificate(certs.criticalUnknown!.der);
    if (typeof unknown === "string") throw new Error(unknown);
    expect(unknown.unhandledCriticalExtensions).toEqual(["1.2.3.4.5"]);
  });

  test("leaves with an IP SAN next to the URI SAN verify, under name constraints", async () => {
    const bundle = X509Bundle.parse(TD, root.pem);
    const { id } = await verifyX509Svid([certs.ipSan!.der, inter.der], bundle);
    expect(id.toString()).toBe(`spiffe://${TD}/w`);
    const other = await issueLeaf(inter, {
      uriSans: [],
      extraExtensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: "spiffe://other.org/w" }, { type: "ip", value: "10.0.0.1" }])],
    });
    await rejects(verifyX509Svid([other.der, inter.der], X509Bundle.parse("other.org", root.pem)), "ERR_X509_SVID_NAME_CONSTRAINTS");
  });
});

// --- Re-encoding a leaf's TBSCertificate and signing it again with the issuer's key, so that
// only the encoding under test is wrong.

function tlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concatBytes(new Uint8Array([tag, ...len]), content);
}

/** The elements inside a constructed DER element (short or long definite lengths). */
function children(der: Uint8Array): Uint8Array<ArrayBuffer>[] {
  const header = der[1]! < 0x80 ? 2 : 2 + (der[1]! & 0x7f);
  const out: Uint8Array<ArrayBuffer>[] = [];
  let pos = header;
  while (pos < der.length) {
    const first = der[pos + 1]!;
    let len = first;
    let h = 2;
    if (first >= 0x80) {
      len = 0;
      for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + der[pos + 2 + i]!;
      h += first & 0x7f;
    }
    out.push(new Uint8Array(der.subarray(pos, pos + h + len)));
    pos += h + len;
  }
  return out;
}

async function resign(tbsParts: readonly Uint8Array[], issuer: TestCa): Promise<Uint8Array<ArrayBuffer>> {
  const tbs = tlv(0x30, concatBytes(...tbsParts));
  const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, issuer.key.privateKey, tbs));
  const int = (b: Uint8Array): Uint8Array<ArrayBuffer> => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0 && !(b[i + 1]! & 0x80)) i++;
    const v = b.subarray(i);
    return tlv(0x02, v[0]! & 0x80 ? concatBytes(new Uint8Array([0]), v) : new Uint8Array(v));
  };
  const sig = tlv(0x30, concatBytes(int(raw.subarray(0, 32)), int(raw.subarray(32))));
  const sigAlg = tlv(0x30, tlv(0x06, new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02])));
  return tlv(0x30, concatBytes(tbs, sigAlg, tlv(0x03, concatBytes(new Uint8Array([0]), sig))));
}

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(X509SvidError);
    expect((err as X509SvidError).code).toBe(code);
    return;
  }
  throw new Error(`expected a rejection with ${code}, but the chain was accepted`);
}

describe("readCertificate refuses encodings DER forbids (re-signed, so only the encoding is wrong)", () => {
  const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
  const gt = (d: Date, suffix = "Z"): Uint8Array<ArrayBuffer> => tlv(0x18, ascii(d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + suffix));
  const replaceExtension = (exts: Uint8Array, oid: number[], value: Uint8Array): Uint8Array<ArrayBuffer> => {
    const list = children(children(exts)[0]!).map((e) => {
      const [id] = children(e);
      return hex(id!) === hex(tlv(0x06, new Uint8Array(oid))) ? tlv(0x30, concatBytes(id!, tlv(0x04, value))) : e;
    });
    return tlv(0xa3, tlv(0x30, concatBytes(...list)));
  };
  const BC = [0x55, 0x1d, 0x13];

  let bundle: X509Bundle;
  let parts: Uint8Array<ArrayBuffer>[];
  const verify = (der: Uint8Array): Promise<unknown> => verifyX509Svid([der, inter.der], bundle);
  beforeAll(() => {
    bundle = X509Bundle.parse(TD, root.pem);
    parts = children(children(certs.leaf!.der)[0]!); // version, serial, sigAlg, issuer, validity, subject, spki, extensions
  });

  test("control: the re-signed, unchanged certificate verifies", async () => {
    await verify(await resign(parts, inter));
  });

  test("a validity date before 2050 as GeneralizedTime (RFC 5280 §4.1.2.5: UTCTime through 2049): ERR_X509_SVID_CERTIFICATE", async () => {
    const v = [...parts];
    v[4] = tlv(0x30, concatBytes(gt(certs.leaf!.notBefore), gt(certs.leaf!.notAfter)));
    await rejects(verify(await resign(v, inter)), "ERR_X509_SVID_CERTIFICATE");
  });

  test("a validity time with a fraction or an offset: ERR_X509_SVID_CERTIFICATE", async () => {
    for (const suffix of [".5Z", "+0000"]) {
      const v = [...parts];
      v[4] = tlv(0x30, concatBytes(gt(certs.leaf!.notBefore, suffix), gt(certs.leaf!.notAfter)));
      await rejects(verify(await resign(v, inter)), "ERR_X509_SVID_CERTIFICATE");
    }
  });

  test("a non-minimal length: ERR_X509_SVID_CERTIFICATE", async () => {
    const v = [...parts];
    const serial = parts[1]!;
    v[1] = concatBytes(new Uint8Array([0x02, 0x81, serial[1]!]), serial.subarray(2));
    await rejects(verify(await resign(v, inter)), "ERR_X509_SVID_CERTIFICATE");
  });

  test("trailing data in the TBSCertificate: ERR_X509_SVID_CERTIFICATE", async () => {
    await rejects(verify(await resign([...parts, new Uint8Array([0x05, 0x00])], inter)), "ERR_X509_SVID_CERTIFICATE");
  });

  test("a BER (not DER) BOOLEAN in basicConstraints: ERR_X509_SVID_CERTIFICATE", async () => {
    const v = [...parts];
    v[7] = replaceExtension(parts[7]!, BC, new Uint8Array([0x30, 0x03, 0x01, 0x01, 0x01]));
    await rejects(verify(await resign(v, inter)), "ERR_X509_SVID_CERTIFICATE");
    v[7] = replaceExtension(parts[7]!, BC, new Uint8Array([0x30, 0x03, 0x01, 0x01, 0xff])); // control: DER TRUE
    await rejects(verify(await resign(v, inter)), "ERR_X509_SVID_LEAF_IS_CA");
  });
});
