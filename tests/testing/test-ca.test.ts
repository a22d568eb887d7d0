import { describe, expect, test } from "bun:test";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { X509Bundle } from "../../src/core/bundle/x509-bundle.ts";
import { verifyX509Svid } from "../../src/core/svid/x509/verify-x509-svid.ts";
import { X509Svid } from "../../src/core/svid/x509/x509-svid.ts";
import { SpiffeError } from "../../src/core/errors/spiffe-error.ts";
import { createTestCa, type TestCa, type TestJwk } from "../../src/testing/test-ca.ts";
import { ConfigError } from "../../src/core/errors/config-error.ts";
import { expectCode, expectInvalidArgument } from "../support/rejection.ts";

const OID = {
  san: "2.5.29.17",
  ku: "2.5.29.15",
  eku: "2.5.29.37",
  bc: "2.5.29.19",
  ski: "2.5.29.14",
  aki: "2.5.29.35",
};

function cert(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der.slice());
}

function ext(c: pkijs.Certificate, oid: string): pkijs.Extension {
  const found = (c.extensions ?? []).filter((e) => e.extnID === oid);
  expect(found.length).toBe(1);
  return found[0]!;
}

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** RFC 5280 path validation with pkijs (leaf first, then intermediates) against the given roots. */
async function chainValid(chain: readonly Uint8Array[], roots: readonly Uint8Array[], checkDate?: Date): Promise<boolean> {
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: roots.map(cert),
    certs: chain.map(cert),
    ...(checkDate ? { checkDate } : {}),
  });
  const result = await engine.verify();
  return result.result;
}

/**
 * Checks every signature of `chain` (leaf first) up to the root in `roots` that signed its
 * last certificate, with Web Crypto directly (pkijs path validation knows no Ed25519).
 */
async function ed25519SignaturesValid(chain: readonly Uint8Array[], roots: readonly Uint8Array[]): Promise<boolean> {
  const certs = chain.map(cert);
  const anchors = roots.map(cert);
  for (const [i, c] of certs.entries()) {
    const issuers = i + 1 < certs.length ? [certs[i + 1]!] : anchors;
    const signed = new Uint8Array(c.tbsView);
    const signature = new Uint8Array(c.signatureValue.valueBlock.valueHexView);
    let ok = false;
    for (const issuer of issuers) {
      const spki = new Uint8Array(issuer.subjectPublicKeyInfo.toSchema().toBER(false));
      const key = await crypto.subtle.importKey("spki", spki, { name: "Ed25519" }, false, ["verify"]);
      if (await crypto.subtle.verify({ name: "Ed25519" }, key, signature, signed)) ok = true;
    }
    if (!ok) return false;
  }
  return true;
}

/** verifyX509Svid against a bundle of `roots`: "ok" or the rejection code. */
async function verify(chain: readonly Uint8Array[], td: string, roots: readonly Uint8Array[], now?: Date): Promise<string> {
  try {
    const { id } = await verifyX509Svid(chain as Uint8Array[], X509Bundle.fromCertificates(td, roots as Uint8Array[]), now ? { now } : {});
    return id.trustDomain.name === td ? "ok" : "wrong trust domain";
  } catch (err) {
    return err instanceof SpiffeError ? err.code : String(err);
  }
}

function b64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(b64url(part))) as Record<string, unknown>;
}

async function verifyJwt(token: string, keys: readonly TestJwk[]): Promise<boolean> {
  const [h, p, s] = token.split(".") as [string, string, string];
  const header = decodePart(h);
  const jwk = keys.find((k) => k.kid === header["kid"]);
  if (!jwk) return false;
  const { kid: _k, use: _u, ...material } = jwk;
  const alg = header["alg"];
  const importParams =
    alg === "ES256" ? { name: "ECDSA", namedCurve: "P-256" } : alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "RSA-PSS", hash: "SHA-256" };
  const verifyParams = alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "RSA-PSS", saltLength: 32 };
  const key = await crypto.subtle.importKey("jwk", material as JsonWebKey, importParams, false, ["verify"]);
  return crypto.subtle.verify(verifyParams, key, b64url(s) as Uint8Array<ArrayBuffer>, new TextEncoder().encode(`${h}.${p}`));
}

describe("createTestCa: X.509-SVIDs", () => {
  for (const keyAlg of ["P-256", "P-384", "RSA-2048", "Ed25519"] as const) {
    for (const intermediate of [false, true]) {
      test(`${keyAlg}${intermediate ? " with intermediate" : ""}: SVID parses, chains to the bundle`, async () => {
        const ca = await createTestCa({ trustDomain: "example.org", keyAlg, intermediate });
        const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web", hint: "internal" });
        expect(svid.certificates.length).toBe(intermediate ? 2 : 1);
        expect(svid.hint).toBe("internal");
        const parsed = await X509Svid.parse(svid.certificates as Uint8Array[], svid.privateKey, { hint: "internal" });
        expect(parsed.id.toString()).toBe("spiffe://example.org/web");
        expect(parsed.serialNumber).toBe(svid.serialNumber);
        const fromPem = await X509Svid.parse(svid.certificatesPem, svid.privateKeyPem);
        expect(fromPem.id.toString()).toBe("spiffe://example.org/web");
        expect(ca.x509Bundle.trustDomain.name).toBe("example.org");
        expect(ca.x509Bundle.authorities.length).toBe(1);
        if (keyAlg === "Ed25519") {
          expect(await ed25519SignaturesValid(svid.certificates, ca.x509Bundle.authorities)).toBe(true);
        } else {
          expect(await chainValid(svid.certificates, ca.x509Bundle.authorities)).toBe(true);
        }
        const verified = await verifyX509Svid(svid.certificates as Uint8Array[], ca.x509Bundle);
        expect(verified.id.toString()).toBe("spiffe://example.org/web");
        expect(verified.verifiedChain.length).toBe(intermediate ? 3 : 2);
      });
    }
  }

  test("leaf follows the X509-SVID profile", async () => {
    const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
    const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web", dnsSans: ["web.example.org"] });
    const leaf = cert(svid.certificates[0]!);
    const inter = cert(svid.certificates[1]!);
    expect(leaf.version).toBe(2);
    expect(leaf.subject.typesAndValues.length).toBe(0);
    expect(hex(leaf.subject.toSchema().toBER(false))).toBe("3000"); // empty SEQUENCE, no empty RDN
    const san = ext(leaf, OID.san);
    expect(san.critical).toBe(true); // subject is empty
    const names = (san.parsedValue as pkijs.AltName).altNames;
    expect(names.filter((n) => n.type === 6).map((n) => n.value)).toEqual(["spiffe://example.org/web"]);
    expect(names.filter((n) => n.type === 2).map((n) => n.value)).toEqual(["web.example.org"]);
    const ku = ext(leaf, OID.ku);
    expect(ku.critical).toBe(true);
    const kuBits = (ku.parsedValue as asn1js.BitString).valueBlock;
    expect(hex(kuBits.valueHexView)).toBe("80"); // digitalSignature only
    expect(kuBits.unusedBits).toBe(7);
    expect((ext(leaf, OID.eku).parsedValue as pkijs.ExtKeyUsage).keyPurposes).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    expect((ext(leaf, OID.bc).parsedValue as pkijs.BasicConstraints).cA).toBe(false);
    const leafAki = (ext(leaf, OID.aki).parsedValue as pkijs.AuthorityKeyIdentifier).keyIdentifier!;
    const interSki = ext(inter, OID.ski).parsedValue as asn1js.OctetString;
    expect(hex(leafAki.valueBlock.valueHexView)).toBe(hex(interSki.valueBlock.valueHexView));
    expect(hex((ext(leaf, OID.ski).parsedValue as asn1js.OctetString).valueBlock.valueHexView).length).toBe(40);
    // positive serial of 16 bytes
    const serial = leaf.serialNumber.valueBlock.valueHexView;
    expect(serial.length).toBe(16);
    expect(serial[0]! & 0x80).toBe(0);
  });

  test("CA certificates are signing certificates with the trust domain's SPIFFE ID", async () => {
    const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
    const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    for (const der of [ca.x509Authorities[0]!, svid.certificates[1]!]) {
      const c = cert(der);
      expect((ext(c, OID.bc).parsedValue as pkijs.BasicConstraints).cA).toBe(true);
      const ku = ext(c, OID.ku);
      expect(ku.critical).toBe(true);
      expect(hex((ku.parsedValue as asn1js.BitString).valueBlock.valueHexView)).toBe("06"); // keyCertSign + cRLSign
      const uris = (ext(c, OID.san).parsedValue as pkijs.AltName).altNames.filter((n) => n.type === 6).map((n) => n.value);
      expect(uris).toEqual(["spiffe://example.org"]);
      expect(c.subject.typesAndValues.length).toBe(2);
      ext(c, OID.ski);
      ext(c, OID.aki);
    }
  });

  test("Ed25519: root, intermediate and leaf follow RFC 8410; JWT-SVIDs keep their own jwtAlg", async () => {
    const ca = await createTestCa({ trustDomain: "example.org", keyAlg: "Ed25519", intermediate: true });
    expect(ca.keyAlgorithm).toBe("Ed25519");
    expect(ca.jwtAlgorithm).toBe("ES256");
    const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const ED25519 = "06032b6570"; // OBJECT IDENTIFIER 1.3.101.112
    for (const der of [ca.x509Authorities[0]!, svid.certificates[1]!, svid.certificates[0]!]) {
      const c = cert(der);
      // id-Ed25519 with absent parameters, in signatureAlgorithm and in the TBS signature field
      expect(hex(c.signatureAlgorithm.toSchema().toBER(false))).toBe(`3005${ED25519}`);
      expect(hex(c.signature.toSchema().toBER(false))).toBe(`3005${ED25519}`);
      expect(c.signatureValue.valueBlock.valueHexView.length).toBe(64);
      // SubjectPublicKeyInfo: id-Ed25519, no parameters, a 32-byte key
      const spki = hex(c.subjectPublicKeyInfo.toSchema().toBER(false));
      expect(spki).toMatch(new RegExp(`^302a3005${ED25519}032100[0-9a-f]{64}$`));
    }
    expect(svid.privateKey.length).toBe(48);
    expect(hex(svid.privateKey.subarray(0, 16))).toBe(`302e0201003005${ED25519}04220420`);
    expect(svid.privateKeyPem).toContain("-----BEGIN PRIVATE KEY-----");
    const jwt = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: "api" });
    expect(decodePart(jwt.token.split(".")[0]!)["alg"]).toBe("ES256");
    expect(await verifyJwt(jwt.token, ca.jwks.keys)).toBe(true);
    const rs = await createTestCa({ trustDomain: "example.org", keyAlg: "Ed25519", jwtAlg: "RS256" });
    expect(decodePart((await rs.issueJwtSvid({ id: "spiffe://example.org/web", audience: "api" })).token.split(".")[0]!)["alg"]).toBe("RS256");
  });

  test("Ed25519: rotation keeps the previous root until dropped", async () => {
    const ca = await createTestCa({ trustDomain: "example.org", keyAlg: "Ed25519" });
    const before = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const oldRoot = ca.x509Authorities[0]!;
    await ca.rotateX509Authority();
    const after = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const newRoot = ca.x509Authorities[1]!;
    expect(await ed25519SignaturesValid(after.certificates, [newRoot])).toBe(true);
    expect(await ed25519SignaturesValid(after.certificates, [oldRoot])).toBe(false);
    expect(await verify(before.certificates, "example.org", ca.x509Authorities)).toBe("ok");
    expect(await verify(after.certificates, "example.org", [oldRoot])).toBe("ERR_X509_SVID_UNTRUSTED");
    ca.dropPreviousX509Authorities();
    expect(await verify(before.certificates, "example.org", ca.x509Authorities)).toBe("ERR_X509_SVID_UNTRUSTED");
    expect(await verify(after.certificates, "example.org", ca.x509Authorities)).toBe("ok");
  });

  test("serials are random", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const a = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const b = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });

  test("validity follows the injected clock and ttlMs", async () => {
    const now = new Date("2030-01-02T03:04:05.678Z");
    const ca = await createTestCa({ trustDomain: "example.org", now });
    const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web", ttlMs: 60_000 });
    expect(svid.expiresAt.toISOString()).toBe("2030-01-02T03:05:05.000Z");
    const leaf = cert(svid.certificates[0]!);
    expect(leaf.notBefore.value.toISOString()).toBe("2030-01-02T03:03:55.000Z");
    expect(leaf.notAfter.value.toISOString()).toBe("2030-01-02T03:05:05.000Z");
    expect(await verify(svid.certificates, "example.org", ca.x509Authorities, now)).toBe("ok");
    expect(await verify(svid.certificates, "example.org", ca.x509Authorities, new Date("2030-01-02T03:06:00Z"))).toBe("ERR_X509_SVID_EXPIRED");
    expect(await verify(svid.certificates, "example.org", ca.x509Authorities, new Date("2030-01-02T03:03:50Z"))).toBe("ERR_X509_SVID_NOT_YET_VALID");
  });

  test("a second CA (federation) does not validate the first one's SVIDs", async () => {
    const a = await createTestCa({ trustDomain: "example.org" });
    const b = await createTestCa({ trustDomain: "partner.test" });
    const svid = await b.issueX509Svid({ id: "spiffe://partner.test/api" });
    expect(await verify(svid.certificates, "partner.test", b.x509Authorities)).toBe("ok");
    expect(await verify(svid.certificates, "example.org", a.x509Authorities)).toBe("ERR_X509_SVID_NO_BUNDLE");
    expect(await verify(svid.certificates, "partner.test", a.x509Authorities)).toBe("ERR_X509_SVID_UNTRUSTED");
  });

  test("rotateX509Authority keeps the previous root until dropped", async () => {
    const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
    let changes = 0;
    const off = ca.onChange(() => changes++);
    const before = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const oldRoot = ca.x509Authorities[0]!;
    await ca.rotateX509Authority();
    expect(changes).toBe(1);
    expect(ca.x509Authorities.length).toBe(2);
    expect(ca.x509Bundle.authorities.length).toBe(2);
    const after = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const newRoot = ca.x509Authorities[1]!;
    expect(await verify(before.certificates, "example.org", ca.x509Authorities)).toBe("ok");
    expect(await verify(after.certificates, "example.org", ca.x509Authorities)).toBe("ok");
    expect(await verify(after.certificates, "example.org", [newRoot])).toBe("ok");
    expect(await verify(after.certificates, "example.org", [oldRoot])).toBe("ERR_X509_SVID_UNTRUSTED");
    ca.dropPreviousX509Authorities();
    expect(changes).toBe(2);
    expect(ca.x509Bundle.authorities.length).toBe(1);
    expect(await verify(before.certificates, "example.org", ca.x509Authorities)).toBe("ERR_X509_SVID_UNTRUSTED");
    await ca.rotateX509Authority({ keepPrevious: false });
    expect(ca.x509Authorities.length).toBe(1);
    off();
    await ca.rotateX509Authority();
    expect(changes).toBe(3);
  });

  test("rejects invalid input with typed errors", async () => {
    await expectCode(createTestCa({ trustDomain: "Example.org" }), "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS");
    await expectInvalidArgument(createTestCa({ trustDomain: "example.org", keyAlg: "P-521" as "P-256" }), "keyAlg", ConfigError);
    await expectInvalidArgument(createTestCa({ trustDomain: "example.org", keyAlg: "Ed448" as "Ed25519" }), "keyAlg", ConfigError);
    await expectInvalidArgument(createTestCa({ trustDomain: "example.org", jwtAlg: "HS256" as "ES256" }), "jwtAlg", ConfigError);
    expect(await expectInvalidArgument(createTestCa(null as unknown as { trustDomain: string }), "options")).not.toBeInstanceOf(ConfigError);
    const ca = await createTestCa({ trustDomain: "example.org" });
    await expectCode(ca.issueX509Svid({ id: "https://example.org/web" }), "ERR_SPIFFE_ID_WRONG_SCHEME");
    await expectInvalidArgument(ca.issueX509Svid({ id: 42 as unknown as string }), "options.id");
    // a trust-domain ID names no workload: the SDK refuses such SVIDs, so the CA does not mint them
    await expectInvalidArgument(ca.issueX509Svid({ id: "spiffe://example.org" }), "options.id");
    await expectInvalidArgument(ca.issueJwtSvid({ id: "spiffe://example.org", audience: "api" }), "options.id");
    await expectInvalidArgument(ca.issueX509Svid({ id: "spiffe://example.org/web", ttlMs: 0 }), "options.ttlMs");
    await expectInvalidArgument(ca.issueX509Svid({ id: "spiffe://example.org/web", dnsSans: ["bad name"] }), "options.dnsSans");
    await expectInvalidArgument(ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: [] }), "options.audience");
    await expectInvalidArgument(ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: "" }), "options.audience");
    await expectInvalidArgument(ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: "a", ttlMs: -1 }), "options.ttlMs");
  });
});

describe("createTestCa: JWT-SVIDs", () => {
  for (const jwtAlg of ["ES256", "RS256", "PS256"] as const) {
    test(`${jwtAlg}: token verifies with Web Crypto against the JWKS`, async () => {
      const now = new Date("2031-05-06T07:08:09Z");
      const ca = await createTestCa({ trustDomain: "example.org", jwtAlg, now: () => now });
      const jwt = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: ["api", "db"], ttlMs: 120_000 });
      const [h, p] = jwt.token.split(".") as [string, string];
      expect(decodePart(h)).toEqual({ alg: jwtAlg, kid: jwt.keyId, typ: "JWT" });
      const iat = now.getTime() / 1000;
      expect(decodePart(p)).toEqual({ sub: "spiffe://example.org/web", aud: ["api", "db"], iat, exp: iat + 120 });
      expect(jwt.expiresAt.getTime()).toBe(now.getTime() + 120_000);
      expect(jwt.audience).toEqual(["api", "db"]);
      expect(ca.jwks.keys.map((k) => k.kid)).toEqual([jwt.keyId]);
      expect(ca.jwks.keys[0]!.use).toBe("jwt-svid");
      expect(await verifyJwt(jwt.token, ca.jwks.keys)).toBe(true);
      const other = await createTestCa({ trustDomain: "example.org", jwtAlg });
      expect(await verifyJwt(jwt.token, other.jwks.keys.map((k) => ({ ...k, kid: jwt.keyId })))).toBe(false);
      expect(ca.jwtBundle.hasKey(jwt.keyId)).toBe(true);
      expect(JSON.parse(ca.jwksJson())).toEqual(ca.jwks);
    });
  }

  test("extra claims override the defaults", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const jwt = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: "api", claims: { exp: 1, extra: "x" } });
    const payload = decodePart(jwt.token.split(".")[1]!);
    expect(payload["exp"]).toBe(1);
    expect(payload["extra"]).toBe("x");
    expect(jwt.expiresAt.getTime()).toBe(1000);
  });

  test("rotateJwtKey keeps the previous key until dropped", async () => {
    const ca: TestCa = await createTestCa({ trustDomain: "example.org" });
    let changes = 0;
    ca.onChange(() => changes++);
    const before = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: "api" });
    await ca.rotateJwtKey();
    const after = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: "api" });
    expect(after.keyId).not.toBe(before.keyId);
    expect(ca.jwks.keys.map((k) => k.kid)).toEqual([before.keyId, after.keyId]);
    expect(ca.jwtBundle.hasKey(before.keyId)).toBe(true);
    expect(await verifyJwt(before.token, ca.jwks.keys)).toBe(true);
    expect(await verifyJwt(after.token, ca.jwks.keys)).toBe(true);
    ca.dropPreviousJwtKeys();
    expect(ca.jwks.keys.map((k) => k.kid)).toEqual([after.keyId]);
    expect(ca.jwtBundle.hasKey(before.keyId)).toBe(false);
    expect(await verifyJwt(before.token, ca.jwks.keys)).toBe(false);
    await ca.rotateJwtKey({ keepPrevious: false });
    expect(ca.jwks.keys.length).toBe(1);
    expect(changes).toBe(3);
  });
});
