import { beforeAll, describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../support/rejection.ts";
import { X509Bundle } from "../../../src/core/bundle/x509-bundle.ts";
import { BundleError } from "../../../src/core/errors/bundle-error.ts";
import { SpiffeIdError } from "../../../src/core/errors/spiffe-id-error.ts";
import { TrustDomain } from "../../../src/core/spiffeid/trust-domain.ts";
import { concatBytes, createCa, issueLeaf, type TestCa, toPem } from "../../support/test-pki.ts";

function throws(fn: () => unknown, code: string, type: new (...args: never[]) => Error = BundleError): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as { code?: string }).code).toBe(code);
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

let a: TestCa;
let b: TestCa;
let c: TestCa;

beforeAll(async () => {
  [a, b, c] = await Promise.all([createCa(), createCa(), createCa({ keyAlg: "P-384" })]);
});

describe("X509Bundle.parse accepts", () => {
  test("one PEM certificate", () => {
    const bundle = X509Bundle.parse("example.org", a.pem);
    expect(bundle.trustDomain.name).toBe("example.org");
    expect(bundle.authorities.map(b64)).toEqual([b64(a.der)]);
  });

  test("many PEM certificates, in order, with text between blocks", () => {
    const bundle = X509Bundle.parse("spiffe://example.org", `# roots\n${a.pem}\n${b.pem}comment\n${c.pem}`);
    expect(bundle.authorities.map(b64)).toEqual([a.der, b.der, c.der].map(b64));
  });

  test("concatenated DER", () => {
    const bundle = X509Bundle.parse(TrustDomain.parse("example.org"), concatBytes(a.der, b.der, c.der));
    expect(bundle.authorities.map(b64)).toEqual([a.der, b.der, c.der].map(b64));
  });

  test("duplicates are dropped", () => {
    const bundle = X509Bundle.parse("example.org", a.pem + b.pem + a.pem);
    expect(bundle.authorities.map(b64)).toEqual([a.der, b.der].map(b64));
    expect(X509Bundle.parse("example.org", concatBytes(a.der, a.der)).authorities.length).toBe(1);
  });

  test("fromCertificates: DER and PEM items; an empty list trusts nothing", () => {
    expect(X509Bundle.fromCertificates("example.org", [a.der, b.pem]).authorities.map(b64)).toEqual([a.der, b.der].map(b64));
    expect(X509Bundle.fromCertificates("example.org", []).authorities).toEqual([]);
  });
});

describe("X509Bundle.parse rejects", () => {
  test("empty input", () => {
    throws(() => X509Bundle.parse("example.org", ""), "ERR_BUNDLE_EMPTY");
    throws(() => X509Bundle.parse("example.org", "  \n"), "ERR_BUNDLE_EMPTY");
    throws(() => X509Bundle.parse("example.org", new Uint8Array(0)), "ERR_BUNDLE_EMPTY");
  });

  test("a PEM block that is not a CERTIFICATE", async () => {
    const leaf = await issueLeaf(a);
    throws(() => X509Bundle.parse("example.org", a.pem + leaf.privateKeyPem), "ERR_BUNDLE_PEM");
  });

  test("text that is not PEM, and broken PEM", () => {
    throws(() => X509Bundle.parse("example.org", "garbage"), "ERR_BUNDLE_PEM");
    throws(() => X509Bundle.parse("example.org", "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n"), "ERR_BUNDLE_PEM");
    throws(() => X509Bundle.parse("example.org", a.pem.replace("END CERTIFICATE", "END X509 CRL")), "ERR_BUNDLE_PEM");
  });

  test("garbage bytes and truncated DER", () => {
    throws(() => X509Bundle.parse("example.org", new Uint8Array([1, 2, 3, 4])), "ERR_BUNDLE_DER");
    throws(() => X509Bundle.parse("example.org", a.der.subarray(0, a.der.length - 1)), "ERR_BUNDLE_DER");
    throws(() => X509Bundle.parse("example.org", concatBytes(a.der, new Uint8Array([0x30]))), "ERR_BUNDLE_DER");
  });

  test("DER sequences that are not certificates", () => {
    throws(() => X509Bundle.parse("example.org", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), "ERR_BUNDLE_CERTIFICATE");
    const pem = toPem("CERTIFICATE", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]));
    throws(() => X509Bundle.parse("example.org", pem), "ERR_BUNDLE_CERTIFICATE");
  });

  test("wrong types", () => {
    throws(() => X509Bundle.parse("example.org", 42 as unknown as string), "ERR_BUNDLE_CERTIFICATE");
    throws(() => X509Bundle.parse("example.org", null as unknown as string), "ERR_BUNDLE_CERTIFICATE");
    throws(() => X509Bundle.parse("example.org", [a.der] as unknown as string), "ERR_BUNDLE_CERTIFICATE");
    throws(() => X509Bundle.fromCertificates("example.org", [7 as unknown as string]), "ERR_BUNDLE_CERTIFICATE");
  });

  test("fromCertificates without an array: InvalidArgumentError naming certificates", async () => {
    await expectInvalidArgument(() => X509Bundle.fromCertificates("example.org", "x" as unknown as string[]), "certificates");
  });

  test("an invalid trust domain", () => {
    throws(() => X509Bundle.parse("Example.org", a.pem), "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS", SpiffeIdError);
    throws(() => X509Bundle.parse("", a.pem), "ERR_SPIFFE_ID_EMPTY", SpiffeIdError);
  });

  test("more than 8 MiB", () => {
    throws(() => X509Bundle.parse("example.org", new Uint8Array(8 * 1024 * 1024 + 1)), "ERR_BUNDLE_TOO_LARGE");
    throws(() => X509Bundle.parse("example.org", "x".repeat(8 * 1024 * 1024 + 1)), "ERR_BUNDLE_TOO_LARGE");
  });
});

describe("an X509Bundle", () => {
  test("toPem() round-trips", () => {
    const bundle = X509Bundle.parse("example.org", concatBytes(a.der, b.der));
    expect(bundle.toPem()).toBe(a.pem + b.pem);
    expect(X509Bundle.parse("example.org", bundle.toPem()).equals(bundle)).toBe(true);
  });

  test("is a bundle source for its own trust domain only", () => {
    const bundle = X509Bundle.parse("example.org", a.pem);
    expect(bundle.getX509BundleForTrustDomain(TrustDomain.parse("example.org"))).toBe(bundle);
    expect(bundle.getX509BundleForTrustDomain("example.org")).toBe(bundle);
    expect(bundle.getForTrustDomain("example.org")).toBe(bundle);
    expect(bundle.getX509BundleForTrustDomain("other.org")).toBeUndefined();
    expect(bundle.getForTrustDomain(TrustDomain.parse("other.org"))).toBeUndefined();
  });

  test("hands out copies of its authorities", () => {
    const bundle = X509Bundle.parse("example.org", a.pem);
    bundle.authorities[0]!.fill(0);
    expect(b64(bundle.authorities[0]!)).toBe(b64(a.der));
    const input = a.der.slice();
    const fromBytes = X509Bundle.parse("example.org", input);
    input.fill(0);
    expect(b64(fromBytes.authorities[0]!)).toBe(b64(a.der));
  });

  test("hasAuthority and equals", () => {
    const bundle = X509Bundle.parse("example.org", a.pem + b.pem);
    expect(bundle.hasAuthority(a.der)).toBe(true);
    expect(bundle.hasAuthority(c.der)).toBe(false);
    expect(bundle.equals(X509Bundle.parse("example.org", a.pem + b.pem))).toBe(true);
    expect(bundle.equals(X509Bundle.parse("example.org", b.pem + a.pem))).toBe(false);
    expect(bundle.equals(X509Bundle.parse("other.org", a.pem + b.pem))).toBe(false);
  });
});
