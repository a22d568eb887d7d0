import { beforeAll, describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../../support/rejection.ts";
import { inspect } from "node:util";
import { X509SvidError } from "../../../../src/core/errors/x509-svid-error.ts";
import { X509Svid } from "../../../../src/core/svid/x509/x509-svid.ts";
import { concatBytes, createCa, generateKey, issueLeaf, peerChain, type TestCa, type TestCert, toPem } from "../../../support/test-pki.ts";

const HOUR = 3600_000;

async function rejects(promise: Promise<unknown>, code: string): Promise<X509SvidError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(X509SvidError);
    expect((err as X509SvidError).code).toBe(code);
    return err as X509SvidError;
  }
  throw new Error(`expected a rejection with ${code}, but parsing succeeded`);
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** Where `needle` starts in `haystack`, or -1. */
function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A DER element with short-form length (enough for the hand-made keys below). */
function der(tag: number, ...content: number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([tag, content.length, ...content]);
}

const OID_ED25519 = der(0x06, 0x2b, 0x65, 0x70);
const OID_EC = der(0x06, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);

/** PKCS#8 PrivateKeyInfo v1 (version 0) of an AlgorithmIdentifier's contents and a privateKey OCTET STRING. */
function pkcs8(algorithmContents: Uint8Array, privateKey: Uint8Array): Uint8Array<ArrayBuffer> {
  return der(0x30, 0x02, 0x01, 0x00, ...der(0x30, ...algorithmContents), ...privateKey);
}

let root: TestCa;
let inter: TestCa;
let leaf: TestCert;

beforeAll(async () => {
  root = await createCa({ trustDomain: "example.org" });
  inter = await createCa({ parent: root });
  leaf = await issueLeaf(inter, { uriSans: ["spiffe://example.org/web"] });
});

describe("X509Svid.parse accepts", () => {
  test("a PEM chain and a PEM PKCS#8 key", async () => {
    const svid = await X509Svid.parse(leaf.pem + inter.pem, leaf.privateKeyPem);
    expect(svid.id.toString()).toBe("spiffe://example.org/web");
    expect(svid.certificates.map(b64)).toEqual([b64(leaf.der), b64(inter.der)]);
    expect(b64(svid.privateKey)).toBe(b64(leaf.privateKey));
    expect(svid.expiresAt.getTime()).toBe(leaf.notAfter.getTime());
    expect(svid.serialNumber).toBe(leaf.serialNumber);
    expect(svid.hint).toBe("");
  });

  test("DER: an array, concatenated bytes, and a DER key", async () => {
    const a = await X509Svid.parse(peerChain(leaf, inter), leaf.privateKey);
    const b = await X509Svid.parse(concatBytes(leaf.der, inter.der), leaf.privateKey);
    expect(a.certificates.map(b64)).toEqual(b.certificates.map(b64));
    expect(a.certificates.length).toBe(2);
  });

  test("a leaf alone, and a hint", async () => {
    const svid = await X509Svid.parse(leaf.der, leaf.privateKeyPem, { hint: "internal" });
    expect(svid.certificates.length).toBe(1);
    expect(svid.hint).toBe("internal");
  });

  test("EC P-384 and RSA-2048 keys", async () => {
    const p384 = await issueLeaf(inter, { keyAlg: "P-384" });
    expect((await X509Svid.parse(p384.pem, p384.privateKeyPem)).id.path).toBe("/workload");
    const rsa = await issueLeaf(inter, { key: await generateKey("RSA-2048", { cacheAs: "svid-leaf" }) });
    expect((await X509Svid.parse(rsa.pem, rsa.privateKeyPem)).id.path).toBe("/workload");
  });

  test("an EC P-521 key", async () => {
    const p521 = await issueLeaf(inter, { keyAlg: "P-521" });
    const svid = await X509Svid.parse(peerChain(p521, inter), p521.privateKeyPem);
    expect(b64(svid.privateKey)).toBe(b64(p521.privateKey));
  });

  test("an expired SVID (parse checks structure, not time; verification checks time)", async () => {
    const expired = await issueLeaf(inter, { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
    expect((await X509Svid.parse(expired.pem, expired.privateKeyPem)).expiresAt.getTime()).toBe(expired.notAfter.getTime());
  });

  test("an empty subject with a critical URI SAN, and extra DNS SANs", async () => {
    const l = await issueLeaf(inter, { emptySubject: true, dnsSans: ["web.example.org"] });
    expect((await X509Svid.parse(l.pem, l.privateKeyPem)).id.path).toBe("/workload");
  });
});

describe("an X509Svid", () => {
  test("returns copies: mutating them changes nothing", async () => {
    const input = leaf.der.slice();
    const svid = await X509Svid.parse([input], leaf.privateKey);
    input.fill(0);
    svid.certificates[0]!.fill(0);
    svid.privateKey.fill(0);
    svid.expiresAt.setTime(0);
    expect(b64(svid.certificates[0]!)).toBe(b64(leaf.der));
    expect(b64(svid.privateKey)).toBe(b64(leaf.privateKey));
    expect(svid.expiresAt.getTime()).toBe(leaf.notAfter.getTime());
  });

  test("toPem() round-trips", async () => {
    const svid = await X509Svid.parse(peerChain(leaf, inter), leaf.privateKey);
    const pem = svid.toPem();
    expect(pem.certificates).toBe(leaf.pem + inter.pem);
    expect(pem.privateKey).toBe(toPem("PRIVATE KEY", leaf.privateKey));
    const again = await X509Svid.parse(pem.certificates, pem.privateKey);
    expect(again.certificates.map(b64)).toEqual(svid.certificates.map(b64));
  });

  test("never shows its private key in toString, toJSON, JSON.stringify or inspect", async () => {
    const svid = await X509Svid.parse(peerChain(leaf, inter), leaf.privateKey, { hint: "h" });
    const keyB64 = b64(leaf.privateKey);
    const keyLine = leaf.privateKeyPem.split("\n")[1]!;
    for (const text of [String(svid), `${svid}`, JSON.stringify(svid), JSON.stringify({ svid }), inspect(svid), inspect(svid, { showHidden: true, depth: 5 })]) {
      expect(text).toContain("spiffe://example.org/web");
      expect(text).not.toContain(keyB64.slice(0, 40));
      expect(text).not.toContain(keyLine);
      expect(text).not.toContain("PRIVATE KEY");
    }
    expect(svid.toJSON()).toEqual({
      id: "spiffe://example.org/web",
      hint: "h",
      expiresAt: leaf.notAfter.toISOString(),
      serialNumber: leaf.serialNumber,
      certificates: leaf.pem + inter.pem,
    });
  });
});

describe("X509Svid.parse rejects the key", () => {
  test("of another leaf (same algorithm)", async () => {
    const other = await issueLeaf(inter);
    const err = await rejects(X509Svid.parse(leaf.pem, other.privateKeyPem), "ERR_X509_SVID_KEY_MISMATCH");
    expect(err.message).not.toContain(b64(other.privateKey).slice(0, 40));
  });

  test("of another algorithm or curve", async () => {
    const p384 = await generateKey("P-384");
    await rejects(X509Svid.parse(leaf.pem, p384.pkcs8Pem), "ERR_X509_SVID_KEY_MISMATCH");
    const rsa = await generateKey("RSA-2048", { cacheAs: "svid-leaf" });
    await rejects(X509Svid.parse(leaf.pem, rsa.pkcs8), "ERR_X509_SVID_KEY_MISMATCH");
    const rsaLeaf = await issueLeaf(inter, { key: rsa });
    const other = await generateKey("RSA-2048", { cacheAs: "svid-other" });
    await rejects(X509Svid.parse(rsaLeaf.pem, other.pkcs8), "ERR_X509_SVID_KEY_MISMATCH");
    await rejects(X509Svid.parse(rsaLeaf.pem, leaf.privateKey), "ERR_X509_SVID_KEY_MISMATCH");
  });

  // The check proves that the private scalar d gives the leaf's point (d·G), not only that the
  // public point the PKCS#8 carries (ECPrivateKey [1] publicKey) is the leaf's: a key file whose
  // copy of the public point is the leaf's but whose d is another key's is refused. (Deno's
  // importKey accepts such a key; only deriving d·G, here by the JWK export, catches it there.)
  test("whose PKCS#8 carries the leaf's public point with another key's private scalar (P-256, P-384)", async () => {
    for (const alg of ["P-256", "P-384"] as const) {
      const own = await generateKey(alg);
      const ownLeaf = await issueLeaf(inter, { key: own });
      const other = await generateKey(alg);
      const ownPoint = new Uint8Array(await crypto.subtle.exportKey("raw", own.publicKey));
      const otherPoint = new Uint8Array(await crypto.subtle.exportKey("raw", other.publicKey));
      const at = indexOfBytes(other.pkcs8, otherPoint);
      expect(at).toBeGreaterThan(0); // every runtime's PKCS#8 export carries the public point
      const forged = other.pkcs8.slice();
      forged.set(ownPoint, at);
      const err = await rejects(X509Svid.parse(ownLeaf.pem, forged), "ERR_X509_SVID_PRIVATE_KEY");
      expect(err.message).toContain(`the EC ${alg} private key cannot be imported`);
      expect((await X509Svid.parse(ownLeaf.pem, own.pkcs8)).serialNumber).toBe(ownLeaf.serialNumber); // the untouched key is accepted
    }
  });

  test("of a certificate whose key the SDK's key policy refuses (RSA-1024 leaf): ERR_X509_SVID_PUBLIC_KEY, as peers would refuse it", async () => {
    const weak = await generateKey("RSA-1024", { cacheAs: "svid-rsa-1024" });
    const weakLeaf = await issueLeaf(inter, { key: weak });
    const err = await rejects(X509Svid.parse(weakLeaf.pem, weak.pkcs8), "ERR_X509_SVID_PUBLIC_KEY");
    expect(err.message).toContain("the leaf certificate");
    expect(err.message).toContain("1024");
  });

  test("of a supported algorithm other than the leaf's (Ed25519, P-521 for a P-256 leaf)", async () => {
    const ed = await generateKey("Ed25519");
    const err = await rejects(X509Svid.parse(leaf.pem, ed.pkcs8), "ERR_X509_SVID_KEY_MISMATCH");
    expect(err.message).toContain("(Ed25519) does not match the leaf certificate's public key (EC P-256)");
    const p521 = await generateKey("P-521");
    await rejects(X509Svid.parse(leaf.pem, p521.pkcs8), "ERR_X509_SVID_KEY_MISMATCH");
  });

  test("of an unsupported algorithm (X25519, Ed448, secp256k1, EC without a named curve)", async () => {
    const x25519 = pkcs8(der(0x06, 0x2b, 0x65, 0x6e), der(0x04, ...der(0x04, ...new Uint8Array(32).fill(7))));
    const ed448 = pkcs8(der(0x06, 0x2b, 0x65, 0x71), der(0x04, ...der(0x04, ...new Uint8Array(57).fill(7))));
    const secp256k1 = pkcs8(concatBytes(OID_EC, der(0x06, 0x2b, 0x81, 0x04, 0x00, 0x0a)), der(0x04, ...der(0x30, 0x02, 0x01, 0x01, ...der(0x04, ...new Uint8Array(32).fill(7)))));
    const implicitCurve = pkcs8(concatBytes(OID_EC, der(0x05)), der(0x04, ...der(0x30, 0x02, 0x01, 0x01, ...der(0x04, ...new Uint8Array(32).fill(7)))));
    for (const key of [x25519, ed448]) {
      const err = await rejects(X509Svid.parse(leaf.pem, key), "ERR_X509_SVID_UNSUPPORTED_KEY");
      expect(err.message).toContain("supported: EC P-256, EC P-384, EC P-521, RSA, Ed25519");
    }
    for (const key of [secp256k1, implicitCurve]) {
      const err = await rejects(X509Svid.parse(leaf.pem, key), "ERR_X509_SVID_UNSUPPORTED_KEY");
      expect(err.message).toContain("curve");
    }
  });

  test("that is not PKCS#8 PEM or DER", async () => {
    const sec1 = leaf.privateKeyPem.replaceAll("PRIVATE KEY", "EC PRIVATE KEY");
    await rejects(X509Svid.parse(leaf.pem, sec1), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, leaf.privateKeyPem + leaf.privateKeyPem), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, leaf.pem), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, "not a key"), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, ""), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, new Uint8Array(0)), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, leaf.privateKey.subarray(0, 40)), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, 7 as unknown as string), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(leaf.pem, null as unknown as string), "ERR_X509_SVID_PRIVATE_KEY");
  });

  test("whose private scalar is corrupted (import fails or the key no longer matches)", async () => {
    const bad = leaf.privateKey.slice();
    bad[40]! ^= 0xff; // inside the private scalar
    const err = await X509Svid.parse(leaf.pem, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(X509SvidError);
    expect(["ERR_X509_SVID_PRIVATE_KEY", "ERR_X509_SVID_KEY_MISMATCH"]).toContain((err as X509SvidError).code);
    expect((err as Error).message).not.toContain(b64(bad).slice(0, 40));
  });

  test("larger than 64 KiB", async () => {
    await rejects(X509Svid.parse(leaf.pem, new Uint8Array(64 * 1024 + 1)), "ERR_X509_SVID_TOO_LARGE");
  });
});

describe("X509Svid.parse with Ed25519", () => {
  let edRoot: TestCa;
  let edInter: TestCa;
  let edLeaf: TestCert;

  beforeAll(async () => {
    edRoot = await createCa({ trustDomain: "example.org", keyAlg: "Ed25519" });
    edInter = await createCa({ parent: edRoot, keyAlg: "Ed25519" });
    edLeaf = await issueLeaf(edInter, { keyAlg: "Ed25519", uriSans: ["spiffe://example.org/ed"] });
  });

  test("accepts an Ed25519 leaf and its PKCS#8 key (PEM and DER), under an Ed25519 chain", async () => {
    expect(edLeaf.privateKey.length).toBe(48); // RFC 8410 PKCS#8 v1: 16 bytes of framing + the 32-byte seed
    const fromPem = await X509Svid.parse(edLeaf.pem + edInter.pem, edLeaf.privateKeyPem);
    expect(fromPem.id.toString()).toBe("spiffe://example.org/ed");
    expect(fromPem.certificates.map(b64)).toEqual([b64(edLeaf.der), b64(edInter.der)]);
    expect(b64(fromPem.privateKey)).toBe(b64(edLeaf.privateKey));
    const fromDer = await X509Svid.parse(peerChain(edLeaf, edInter), edLeaf.privateKey);
    expect(fromDer.toPem()).toEqual(fromPem.toPem());
  });

  test("accepts mixed chains: an Ed25519 leaf under a P-256 CA, a P-256 leaf under an Ed25519 CA", async () => {
    const edUnderEc = await issueLeaf(inter, { keyAlg: "Ed25519" });
    expect((await X509Svid.parse(peerChain(edUnderEc, inter), edUnderEc.privateKey)).id.path).toBe("/workload");
    const ecUnderEd = await issueLeaf(edInter, { keyAlg: "P-256" });
    expect((await X509Svid.parse(peerChain(ecUnderEd, edInter), ecUnderEd.privateKey)).id.path).toBe("/workload");
  });

  test("rejects the Ed25519 key of another leaf: ERR_X509_SVID_KEY_MISMATCH", async () => {
    const other = await generateKey("Ed25519");
    const err = await rejects(X509Svid.parse(edLeaf.pem, other.pkcs8Pem), "ERR_X509_SVID_KEY_MISMATCH");
    expect(err.message).toBe("the private key does not belong to the leaf certificate");
    expect(err.message).not.toContain(b64(other.pkcs8).slice(16, 40));
  });

  test("rejects a key of another type for an Ed25519 leaf: ERR_X509_SVID_KEY_MISMATCH naming both", async () => {
    const err = await rejects(X509Svid.parse(edLeaf.pem, leaf.privateKey), "ERR_X509_SVID_KEY_MISMATCH");
    expect(err.message).toContain("(EC P-256) does not match the leaf certificate's public key (Ed25519)");
    const rsa = await generateKey("RSA-2048", { cacheAs: "svid-leaf" });
    await rejects(X509Svid.parse(edLeaf.pem, rsa.pkcs8), "ERR_X509_SVID_KEY_MISMATCH");
  });

  test("rejects malformed Ed25519 keys: parameters present (RFC 8410), a short seed, trailing bytes", async () => {
    const seed = edLeaf.privateKey.subarray(16);
    const withParams = pkcs8(concatBytes(OID_ED25519, der(0x05)), der(0x04, ...der(0x04, ...seed)));
    const err = await rejects(X509Svid.parse(edLeaf.pem, withParams), "ERR_X509_SVID_UNSUPPORTED_KEY");
    expect(err.message).toContain("must be absent");
    const shortSeed = pkcs8(OID_ED25519, der(0x04, ...der(0x04, ...seed.subarray(0, 31))));
    await rejects(X509Svid.parse(edLeaf.pem, shortSeed), "ERR_X509_SVID_PRIVATE_KEY");
    await rejects(X509Svid.parse(edLeaf.pem, concatBytes(edLeaf.privateKey, new Uint8Array([0]))), "ERR_X509_SVID_PRIVATE_KEY");
    const rebuilt = pkcs8(OID_ED25519, der(0x04, ...der(0x04, ...seed)));
    expect(b64(rebuilt)).toBe(b64(edLeaf.privateKey)); // the helper builds what Web Crypto exports
  });
});

describe("X509Svid.parse rejects certificates", () => {
  const cases: Array<[string, () => Promise<TestCert>, string]> = [
    ["no URI SAN", () => issueLeaf(inter, { uriSans: [], dnsSans: ["a.example.org"] }), "ERR_X509_SVID_NO_URI_SAN"],
    ["two URI SANs", () => issueLeaf(inter, { uriSans: ["spiffe://example.org/a", "spiffe://example.org/b"] }), "ERR_X509_SVID_MULTIPLE_URI_SANS"],
    ["a non-SPIFFE URI", () => issueLeaf(inter, { uriSans: ["https://example.org/a"] }), "ERR_X509_SVID_INVALID_SPIFFE_ID"],
    ["an ID without a path", () => issueLeaf(inter, { uriSans: ["spiffe://example.org"] }), "ERR_X509_SVID_NO_PATH"],
    ["a CA leaf", () => issueLeaf(inter, { isCa: true }), "ERR_X509_SVID_LEAF_IS_CA"],
    ["keyCertSign", () => issueLeaf(inter, { keyUsage: { digitalSignature: true, keyCertSign: true } }), "ERR_X509_SVID_LEAF_KEY_CERT_SIGN"],
    ["cRLSign", () => issueLeaf(inter, { keyUsage: { digitalSignature: true, cRLSign: true } }), "ERR_X509_SVID_LEAF_CRL_SIGN"],
    ["an unknown critical extension", () => issueLeaf(inter, { extraCriticalExtension: "1.3.6.1.4.1.99999.3" }), "ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION"],
  ];
  for (const [name, make, code] of cases) {
    test(`a leaf with ${name}: ${code}`, async () => {
      const l = await make();
      await rejects(X509Svid.parse(l.pem, l.privateKeyPem), code);
    });
  }

  test("an intermediate that is not a CA, or lacks keyCertSign", async () => {
    const notCa = await createCa({ parent: root, isCa: false, keyUsage: { digitalSignature: true } });
    await rejects(X509Svid.parse([leaf.der, notCa.der], leaf.privateKey), "ERR_X509_SVID_INTERMEDIATE_NOT_CA");
    await rejects(X509Svid.parse([leaf.der, leaf.der], leaf.privateKey), "ERR_X509_SVID_INTERMEDIATE_NOT_CA");
    const noKcs = await createCa({ parent: root, keyUsage: { cRLSign: true } });
    await rejects(X509Svid.parse([leaf.der, noKcs.der], leaf.privateKey), "ERR_X509_SVID_INTERMEDIATE_NOT_CA");
  });

  test("malformed input", async () => {
    await rejects(X509Svid.parse("", leaf.privateKeyPem), "ERR_X509_SVID_EMPTY");
    await rejects(X509Svid.parse([], leaf.privateKeyPem), "ERR_X509_SVID_EMPTY");
    await rejects(X509Svid.parse("garbage", leaf.privateKeyPem), "ERR_X509_SVID_PEM");
    await rejects(X509Svid.parse(leaf.privateKeyPem, leaf.privateKeyPem), "ERR_X509_SVID_PEM");
    await rejects(X509Svid.parse(new Uint8Array([9, 9, 9]), leaf.privateKeyPem), "ERR_X509_SVID_CERTIFICATE");
    await rejects(X509Svid.parse({} as unknown as string, leaf.privateKeyPem), "ERR_X509_SVID_CERTIFICATE");
    await rejects(X509Svid.parse(new Uint8Array(1024 * 1024 + 1), leaf.privateKeyPem), "ERR_X509_SVID_TOO_LARGE");
    await rejects(X509Svid.parse(Array.from({ length: 17 }, () => leaf.der), leaf.privateKeyPem), "ERR_X509_SVID_CHAIN_TOO_LONG");
    await expectInvalidArgument(X509Svid.parse(leaf.pem, leaf.privateKeyPem, { hint: 5 as unknown as string }), "options.hint");
  });
});
