import { describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../support/rejection.ts";
import { BundleError, type BundleErrorCode, JwtBundle, SpiffeBundle, SpiffeIdError, TrustDomain, X509Bundle } from "../../../mod.ts";
import { createCa, type TestCa } from "../../support/test-pki.ts";

type Jwk = Record<string, unknown>;

function codeOf(fn: () => unknown): BundleErrorCode | "no error" | "not a BundleError" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof BundleError ? err.code : "not a BundleError";
  }
}

function b64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The certificate key's public JWK members as Web Crypto exports them. */
async function keyMembers(ca: TestCa): Promise<Jwk> {
  const all = (await crypto.subtle.exportKey("jwk", ca.key.publicKey)) as Jwk;
  const out: Jwk = {};
  for (const m of ["kty", "crv", "x", "y", "n", "e"]) if (all[m] !== undefined) out[m] = all[m];
  return out;
}

async function x509Entry(ca: TestCa): Promise<Jwk> {
  return { use: "x509-svid", ...(await keyMembers(ca)), x5c: [b64(ca.der)] };
}

const ecCa = await createCa({ trustDomain: "example.org" });
const rsaCa = await createCa({ trustDomain: "example.org", keyAlg: "RSA-2048" });
const p384Ca = await createCa({ trustDomain: "example.org", keyAlg: "P-384" });
const otherRsaCa = await createCa({ trustDomain: "example.org", keyAlg: "RSA-2048" });
const otherN = (await keyMembers(otherRsaCa))["n"];
const ecEntry = await x509Entry(ecCa);
const rsaEntry = await x509Entry(rsaCa);
const p384Entry = await x509Entry(p384Ca);
const jwtPair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
const jwtJwk = await (async (): Promise<Jwk> => {
  const all = (await crypto.subtle.exportKey("jwk", jwtPair.publicKey)) as Jwk;
  return { kty: "EC", kid: "jwt-1", use: "jwt-svid", crv: all["crv"], x: all["x"], y: all["y"] };
})();
const okp: Jwk = { kty: "OKP", crv: "Ed25519", kid: "ed", use: "jwt-svid", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };

const doc = (keys: unknown[], extra: Jwk = {}): string => JSON.stringify({ ...extra, keys });

describe("SpiffeBundle.parse accepts", () => {
  test("the spec's example shape: sequence, refresh hint, an RSA x509-svid key and a jwt-svid key", () => {
    const bundle = SpiffeBundle.parse("example.org", doc([rsaEntry, jwtJwk], { spiffe_sequence: 1, spiffe_refresh_hint: 2419200 }));
    expect(bundle.trustDomain.name).toBe("example.org");
    expect(bundle.sequenceNumber).toBe(1);
    expect(bundle.refreshHintSeconds).toBe(2419200);
    expect(bundle.x509Authorities).toEqual([rsaCa.der]);
    expect(bundle.x509Bundle.trustDomain.name).toBe("example.org");
    expect(bundle.jwtBundle.findKey("jwt-1")).toEqual({ kty: "EC", kid: "jwt-1", crv: "P-256", x: jwtJwk["x"], y: jwtJwk["y"] });
    expect(bundle.ignoredKeys).toEqual([]);
  });

  test("EC P-256, P-384 and RSA authorities, in order; metadata optional", () => {
    const bundle = SpiffeBundle.parse("example.org", doc([ecEntry, p384Entry, rsaEntry]));
    expect(bundle.x509Authorities).toEqual([ecCa.der, p384Ca.der, rsaCa.der]);
    expect(bundle.sequenceNumber).toBeUndefined();
    expect(bundle.refreshHintSeconds).toBeUndefined();
    expect(bundle.jwtBundle.keys).toEqual([]);
  });

  test("an x509-svid entry with only kty and x5c (key members are optional, the certificate is the key)", () => {
    const bundle = SpiffeBundle.parse("example.org", doc([{ kty: "EC", use: "x509-svid", x5c: [b64(ecCa.der)] }]));
    expect(bundle.x509Authorities).toEqual([ecCa.der]);
  });

  test("only the first x5c certificate is the authority (X509-SVID spec §6.2)", () => {
    const bundle = SpiffeBundle.parse("example.org", doc([{ ...ecEntry, x5c: [b64(ecCa.der), b64(rsaCa.der), "not even base64"] }]));
    expect(bundle.x509Authorities).toEqual([ecCa.der]);
  });

  test("a kid on an x509-svid entry is tolerated", () => {
    expect(SpiffeBundle.parse("example.org", doc([{ ...ecEntry, kid: "x" }])).x509Authorities).toEqual([ecCa.der]);
  });

  test("the same certificate twice is one authority", () => {
    expect(SpiffeBundle.parse("example.org", doc([ecEntry, ecEntry])).x509Authorities).toEqual([ecCa.der]);
  });

  test("an empty key set (revocation of all keys) is valid and trusts nothing", () => {
    const bundle = SpiffeBundle.parse("example.org", '{"keys":[],"spiffe_sequence":9}');
    expect(bundle.x509Authorities).toEqual([]);
    expect(bundle.jwtBundle.keys).toEqual([]);
    expect(bundle.sequenceNumber).toBe(9);
  });

  test("sequence 0 and refresh hint 0; unknown top-level members; bytes and objects", () => {
    const text = doc([ecEntry], { spiffe_sequence: 0, spiffe_refresh_hint: 0, spiffe_other: "x" });
    const a = SpiffeBundle.parse("example.org", text);
    expect(a.sequenceNumber).toBe(0);
    expect(a.refreshHintSeconds).toBe(0);
    expect(SpiffeBundle.parse("example.org", new TextEncoder().encode(text)).equals(a)).toBe(true);
    expect(SpiffeBundle.parse(TrustDomain.parse("example.org"), JSON.parse(text) as object).equals(a)).toBe(true);
  });
});

describe("SpiffeBundle.parse ignores, keeping the other keys", () => {
  const cases: Array<[string, () => Jwk, RegExp]> = [
    ["a key without use", () => ({ ...ecEntry, use: undefined }), /no "use"/],
    ["an unknown use", () => ({ ...ecEntry, use: "spiffe-cwt" }), /unknown "use" "spiffe-cwt"/],
    ["an x509-svid key of unknown kty", () => ({ ...ecEntry, kty: "PQC" }), /unknown key type "PQC"/],
    ["an x509-svid oct key", () => ({ use: "x509-svid", kty: "oct", x5c: [b64(ecCa.der)] }), /symmetric/],
    ["an x509-svid key without x5c", () => ({ ...ecEntry, x5c: undefined }), /no "x5c"/],
    ["an x509-svid key with an empty x5c", () => ({ ...ecEntry, x5c: [] }), /"x5c" is empty/],
    ["a jwt-svid OKP key", () => okp, /OKP keys/],
    ["a jwt-svid key of unknown kty", () => ({ kty: "PQC", use: "jwt-svid", kid: "pq" }), /unknown key type/],
  ];
  for (const [name, make, reason] of cases) {
    test(name, () => {
      const bundle = SpiffeBundle.parse("example.org", doc([rsaEntry, make(), jwtJwk]));
      expect(bundle.x509Authorities).toEqual([rsaCa.der]);
      expect(bundle.jwtBundle.keys.map((k) => k.kid)).toEqual(["jwt-1"]);
      expect(bundle.ignoredKeys.length).toBe(1);
      expect(bundle.ignoredKeys[0]!.index).toBe(1);
      expect(bundle.ignoredKeys[0]!.reason).toMatch(reason);
    });
  }

  test("ignored jwt-svid keys are also listed on the JWT bundle", () => {
    const bundle = SpiffeBundle.parse("example.org", doc([{ ...ecEntry, use: "x" }, okp]));
    expect(bundle.ignoredKeys.map((i) => i.index)).toEqual([0, 1]);
    expect(bundle.jwtBundle.ignoredKeys.map((i) => [i.index, i.kid])).toEqual([[1, "ed"]]);
  });
});

describe("SpiffeBundle.parse rejects", () => {
  const rejects: Array<[string, () => unknown, BundleErrorCode]> = [
    ["not JSON", () => "{keys:[]}", "ERR_BUNDLE_JSON"],
    ["no keys member (it MUST be present)", () => '{"spiffe_sequence":1}', "ERR_BUNDLE_JWKS"],
    ["keys not an array", () => '{"keys":"[]"}', "ERR_BUNDLE_JWKS"],
    ["a negative spiffe_sequence", () => doc([], { spiffe_sequence: -1 }), "ERR_BUNDLE_JWKS"],
    ["a fractional spiffe_sequence", () => doc([], { spiffe_sequence: 1.5 }), "ERR_BUNDLE_JWKS"],
    ["a string spiffe_sequence", () => doc([], { spiffe_sequence: "1" }), "ERR_BUNDLE_JWKS"],
    ["a spiffe_sequence beyond 2^53-1 (not exact in JS)", () => '{"keys":[],"spiffe_sequence":18446744073709551615}', "ERR_BUNDLE_JWKS"],
    ["a null spiffe_sequence", () => doc([], { spiffe_sequence: null }), "ERR_BUNDLE_JWKS"],
    ["a negative spiffe_refresh_hint", () => doc([], { spiffe_refresh_hint: -300 }), "ERR_BUNDLE_JWKS"],
    ["a fractional spiffe_refresh_hint", () => doc([], { spiffe_refresh_hint: 0.5 }), "ERR_BUNDLE_JWKS"],
    ["a string spiffe_refresh_hint", () => doc([], { spiffe_refresh_hint: "300" }), "ERR_BUNDLE_JWKS"],
    ["a key that is not an object", () => doc([ecEntry, 7]), "ERR_BUNDLE_JWK"],
    ["a key without kty", () => doc([{ ...ecEntry, kty: undefined }]), "ERR_BUNDLE_JWK"],
    ["a numeric use", () => doc([{ ...ecEntry, use: 1 }]), "ERR_BUNDLE_JWK"],
    ["x5c that is a string", () => doc([{ ...ecEntry, x5c: b64(ecCa.der) }]), "ERR_BUNDLE_JWK"],
    ["x5c[0] that is not a string", () => doc([{ ...ecEntry, x5c: [42] }]), "ERR_BUNDLE_CERTIFICATE"],
    ["x5c[0] in base64url instead of base64", () => doc([{ ...ecEntry, x5c: [b64(ecCa.der).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_") + "_"] }]), "ERR_BUNDLE_CERTIFICATE"],
    ["x5c[0] that is not a certificate", () => doc([{ ...ecEntry, x5c: [btoa("garbage bytes")] }]), "ERR_BUNDLE_CERTIFICATE"],
    ["x5c[0] truncated", () => doc([{ ...ecEntry, x5c: [b64(ecCa.der.subarray(0, 100))] }]), "ERR_BUNDLE_CERTIFICATE"],
    ["kty RSA on an EC certificate", () => doc([{ use: "x509-svid", kty: "RSA", x5c: [b64(ecCa.der)] }]), "ERR_BUNDLE_JWK"],
    ["kty OKP on an EC certificate", () => doc([{ use: "x509-svid", kty: "OKP", x5c: [b64(ecCa.der)] }]), "ERR_BUNDLE_JWK"],
    ["n of another RSA key", () => doc([{ ...rsaEntry, n: undefined }, { ...rsaEntry, n: otherN }]), "ERR_BUNDLE_JWK"],
    ["crv that contradicts the certificate", () => doc([{ ...ecEntry, crv: "P-384" }]), "ERR_BUNDLE_JWK"],
    ["x that contradicts the certificate", () => doc([{ ...ecEntry, x: p384Entry["x"] }]), "ERR_BUNDLE_JWK"],
    ["a non-string n", () => doc([{ ...rsaEntry, n: 5 }]), "ERR_BUNDLE_JWK"],
    ["private material on an x509-svid key", () => doc([{ ...ecEntry, d: "c2VjcmV0" }]), "ERR_BUNDLE_JWK_PRIVATE"],
    ["private material on a key of unknown use", () => doc([{ ...jwtJwk, use: "enc", d: "c2VjcmV0" }]), "ERR_BUNDLE_JWK_PRIVATE"],
    ["a jwt-svid key without kid", () => doc([{ ...jwtJwk, kid: undefined }]), "ERR_BUNDLE_JWK"],
    ["a jwt-svid key with a bad coordinate", () => doc([{ ...jwtJwk, y: "AAAA" }]), "ERR_BUNDLE_JWK"],
    ["two jwt-svid keys with one kid", () => doc([jwtJwk, { ...jwtJwk }]), "ERR_BUNDLE_DUPLICATE_KID"],
    ["a number instead of a document", () => 5, "ERR_BUNDLE_JWKS"],
  ];
  for (const [name, input, code] of rejects) {
    test(`${name}: ${code}`, () => {
      expect(codeOf(() => SpiffeBundle.parse("example.org", input() as string))).toBe(code);
    });
  }

  test("an invalid trust domain: SpiffeIdError", () => {
    expect(() => SpiffeBundle.parse("spiffe://", "{}")).toThrow(SpiffeIdError);
  });

  test("a key member that contradicts the certificate is named in the message", () => {
    expect(() => SpiffeBundle.parse("example.org", doc([{ ...rsaEntry, n: otherN }]))).toThrow(/"n" does not match the x5c certificate/);
  });
});

describe("SpiffeBundle serialization", () => {
  test("toJwks writes the certificate's key members exactly as Web Crypto exports them", async () => {
    const bundle = SpiffeBundle.parse("example.org", doc([{ kty: "EC", use: "x509-svid", x5c: [b64(ecCa.der)] }, { kty: "RSA", use: "x509-svid", x5c: [b64(rsaCa.der)] }, { kty: "EC", use: "x509-svid", x5c: [b64(p384Ca.der)] }]));
    const keys = bundle.toJwks().keys;
    expect(keys[0]).toEqual(ecEntry);
    expect(keys[1]).toEqual(rsaEntry);
    expect(keys[2]).toEqual(p384Entry);
  });

  test("parse → toJson → parse gives an equal bundle, and the JSON is stable", () => {
    const bundle = SpiffeBundle.parse("example.org", doc([ecEntry, okp, rsaEntry, jwtJwk, p384Entry], { spiffe_refresh_hint: 300, spiffe_sequence: 12035488 }));
    const json = bundle.toJson();
    const again = SpiffeBundle.parse("example.org", json);
    expect(again.equals(bundle)).toBe(true);
    expect(again.toJson()).toBe(json);
    expect(JSON.parse(json)).toEqual({
      spiffe_sequence: 12035488,
      spiffe_refresh_hint: 300,
      keys: [ecEntry, rsaEntry, p384Entry, { kty: "EC", kid: "jwt-1", crv: "P-256", x: jwtJwk["x"], y: jwtJwk["y"], use: "jwt-svid" }],
    });
  });

  test("the JWT part round-trips through JwtBundle.parse too", () => {
    const bundle = SpiffeBundle.parse("example.org", doc([ecEntry, jwtJwk]));
    expect(JwtBundle.parse("example.org", bundle.toJson()).equals(bundle.jwtBundle)).toBe(true);
  });

  test("equals compares trust domain, authorities, keys, sequence and refresh hint", () => {
    const base = SpiffeBundle.parse("example.org", doc([ecEntry, jwtJwk], { spiffe_sequence: 1 }));
    expect(base.equals(SpiffeBundle.parse("example.org", doc([ecEntry, jwtJwk], { spiffe_sequence: 1 })))).toBe(true);
    expect(base.equals(SpiffeBundle.parse("example.org", doc([ecEntry, jwtJwk], { spiffe_sequence: 2 })))).toBe(false);
    expect(base.equals(SpiffeBundle.parse("example.org", doc([ecEntry, jwtJwk], { spiffe_sequence: 1, spiffe_refresh_hint: 1 })))).toBe(false);
    expect(base.equals(SpiffeBundle.parse("example.org", doc([ecEntry], { spiffe_sequence: 1 })))).toBe(false);
    expect(base.equals(SpiffeBundle.parse("example.org", doc([rsaEntry, jwtJwk], { spiffe_sequence: 1 })))).toBe(false);
    expect(base.equals(SpiffeBundle.parse("other.org", doc([ecEntry, jwtJwk], { spiffe_sequence: 1 })))).toBe(false);
  });
});

describe("SpiffeBundle.fromBundles", () => {
  const x509 = X509Bundle.fromCertificates("example.org", [ecCa.der, rsaCa.pem]);
  const jwt = JwtBundle.fromKeys("example.org", [jwtJwk as JsonWebKey]);

  test("assembles parts; toJson round-trips", () => {
    const bundle = SpiffeBundle.fromBundles("example.org", { x509, jwt, sequenceNumber: 4, refreshHintSeconds: 60 });
    expect(bundle.x509Bundle).toBe(x509);
    expect(bundle.jwtBundle).toBe(jwt);
    expect(bundle.x509Authorities).toEqual([ecCa.der, rsaCa.der]);
    expect(SpiffeBundle.parse("example.org", bundle.toJson()).equals(bundle)).toBe(true);
  });

  test("no parts: an empty bundle", () => {
    const bundle = SpiffeBundle.fromBundles(TrustDomain.parse("example.org"));
    expect(bundle.toJson()).toBe('{"keys":[]}');
    expect(bundle.x509Bundle.authorities).toEqual([]);
    expect(bundle.jwtBundle.keys).toEqual([]);
  });

  const rejects: Array<[string, () => unknown, BundleErrorCode]> = [
    ["an X.509 bundle of another trust domain", () => SpiffeBundle.fromBundles("other.org", { x509 }), "ERR_BUNDLE_TRUST_DOMAIN_MISMATCH"],
    ["a JWT bundle of another trust domain", () => SpiffeBundle.fromBundles("other.org", { jwt }), "ERR_BUNDLE_TRUST_DOMAIN_MISMATCH"],
  ];
  for (const [name, fn, code] of rejects) {
    test(`${name}: ${code}`, () => {
      expect(codeOf(fn)).toBe(code);
    });
  }

  const badArguments: Array<[string, () => unknown, string]> = [
    ["a negative sequence number", () => SpiffeBundle.fromBundles("example.org", { sequenceNumber: -1 }), "parts.sequenceNumber"],
    ["a fractional refresh hint", () => SpiffeBundle.fromBundles("example.org", { refreshHintSeconds: 1.5 }), "parts.refreshHintSeconds"],
    ["a string refresh hint", () => SpiffeBundle.fromBundles("example.org", { refreshHintSeconds: "60" as unknown as number }), "parts.refreshHintSeconds"],
    ["a JWT bundle passed as x509", () => SpiffeBundle.fromBundles("example.org", { x509: jwt as unknown as X509Bundle }), "parts.x509"],
    ["an X.509 bundle passed as jwt", () => SpiffeBundle.fromBundles("example.org", { jwt: x509 as unknown as JwtBundle }), "parts.jwt"],
    ["null parts", () => SpiffeBundle.fromBundles("example.org", null as unknown as object), "parts"],
  ];
  for (const [name, fn, argument] of badArguments) {
    test(`${name}: InvalidArgumentError naming "${argument}"`, async () => {
      await expectInvalidArgument(fn, argument);
    });
  }
});

describe("SpiffeBundle as a bundle source", () => {
  const bundle = SpiffeBundle.parse("example.org", doc([ecEntry, jwtJwk]));
  test("answers for its own trust domain only", () => {
    const td = TrustDomain.parse("example.org");
    expect(bundle.getForTrustDomain(td)).toBe(bundle);
    expect(bundle.getX509BundleForTrustDomain(td)).toBe(bundle.x509Bundle);
    expect(bundle.getJwtBundleForTrustDomain("example.org")).toBe(bundle.jwtBundle);
    for (const other of [TrustDomain.parse("other.org"), "other.org", 42 as unknown as string]) {
      expect(bundle.getForTrustDomain(other)).toBeUndefined();
      expect(bundle.getX509BundleForTrustDomain(other)).toBeUndefined();
      expect(bundle.getJwtBundleForTrustDomain(other)).toBeUndefined();
    }
  });

  test("the authorities are copies", () => {
    const [first] = bundle.x509Authorities;
    first![0] = 0;
    expect(bundle.x509Authorities[0]).toEqual(ecCa.der);
  });
});
