import { describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../support/rejection.ts";
import { BundleError, type BundleErrorCode, JwtBundle, SpiffeError, SpiffeIdError, TrustDomain } from "../../../mod.ts";

type Jwk = Record<string, unknown>;

function codeOf(fn: () => unknown): BundleErrorCode | "no error" | "not a BundleError" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof BundleError ? err.code : "not a BundleError";
  }
}

function errorOf(fn: () => unknown): BundleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BundleError) return err;
    throw err;
  }
  throw new Error("expected a BundleError");
}

function b64u(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomBytes(n: number, topBit = false): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  if (topBit) out[0] = out[0]! | 0x80;
  return out;
}

async function ecPair(namedCurve: "P-256" | "P-384" | "P-521"): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve }, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** The public key members only (runtimes differ in whether they add alg/key_ops/ext). */
async function publicJwk(pair: CryptoKeyPair, kid: string): Promise<Jwk> {
  const all = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as Jwk;
  const out: Jwk = { kid };
  for (const m of ["kty", "crv", "x", "y", "n", "e"]) if (all[m] !== undefined) out[m] = all[m];
  return out;
}

const p256 = await ecPair("P-256");
const p384 = await ecPair("P-384");
const p521 = await ecPair("P-521");
const rsa = (await crypto.subtle.generateKey(
  { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  true,
  ["sign", "verify"],
)) as CryptoKeyPair;
const ec256 = await publicJwk(p256, "ec256");
const ec384 = await publicJwk(p384, "ec384");
const ec521 = await publicJwk(p521, "ec521");
const rsa2048: Jwk = { ...(await publicJwk(rsa, "rsa2048")), alg: "RS256", key_ops: ["verify"], ext: true };
const ecPrivate = { ...(await crypto.subtle.exportKey("jwk", p256.privateKey)), kid: "leaked" };
const rsaPrivate = { ...(await crypto.subtle.exportKey("jwk", rsa.privateKey)), kid: "leaked-rsa" };
const rsa1024: Jwk = { kty: "RSA", kid: "weak", n: b64u(randomBytes(128, true)), e: "AQAB" };
const rsaHuge: Jwk = { kty: "RSA", kid: "huge", n: b64u(randomBytes(16384 / 8 + 1, true)), e: "AQAB" };
const okp: Jwk = { kty: "OKP", crv: "Ed25519", kid: "ed", x: b64u(randomBytes(32)) };

const jwks = (...keys: unknown[]): string => JSON.stringify({ keys });

describe("JwtBundle.parse accepts", () => {
  test("EC P-256/P-384/P-521 and RSA keys, found by kid, in document order", () => {
    const bundle = JwtBundle.parse("example.org", jwks(ec256, ec384, ec521, rsa2048));
    expect(bundle.trustDomain.name).toBe("example.org");
    expect(bundle.keys.map((k) => k.kid)).toEqual(["ec256", "ec384", "ec521", "rsa2048"]);
    expect(bundle.ignoredKeys).toEqual([]);
    expect(bundle.findKey("ec384")).toEqual({ kty: "EC", kid: "ec384", crv: "P-384", x: ec384["x"], y: ec384["y"] });
    expect(bundle.hasKey("ec521")).toBe(true);
    expect(bundle.hasKey("nope")).toBe(false);
    expect(bundle.findKey("nope")).toBeUndefined();
  });

  test("findKey gives a frozen, normalized public JWK (no use/key_ops/ext) that Web Crypto imports and verifies with", async () => {
    const bundle = JwtBundle.parse("example.org", jwks({ ...ec256, use: "jwt-svid", x5t: "abc", key_ops: ["verify"], ext: true }));
    const jwk = bundle.findKey("ec256")!;
    expect(Object.isFrozen(jwk)).toBe(true);
    expect(Object.keys(jwk).sort()).toEqual(["crv", "kid", "kty", "x", "y"]);
    const data = new TextEncoder().encode("payload");
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, p256.privateKey, data);
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    expect(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, sig, data)).toBe(true);
  });

  test("an RSA key keeps its alg, and Web Crypto imports it", async () => {
    const jwk = JwtBundle.parse("example.org", jwks(rsa2048)).findKey("rsa2048")!;
    expect(jwk).toEqual({ kty: "RSA", kid: "rsa2048", alg: "RS256", n: rsa2048["n"], e: "AQAB" });
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
    expect(key.type).toBe("public");
  });

  test("matching alg values: ES256/ES384/ES512 on their curves, RS*/PS* on RSA", () => {
    const bundle = JwtBundle.parse(
      "example.org",
      jwks({ ...ec256, alg: "ES256" }, { ...ec384, alg: "ES384" }, { ...ec521, alg: "ES512" }, { ...rsa2048, alg: "PS512" }),
    );
    expect(bundle.keys.map((k) => k.jwk.alg)).toEqual(["ES256", "ES384", "ES512", "PS512"]);
  });

  test("JSON text, UTF-8 bytes (with a BOM-free encoding) and objects alike", () => {
    const text = jwks(ec256, rsa2048);
    const a = JwtBundle.parse("example.org", text);
    const b = JwtBundle.parse("example.org", new TextEncoder().encode(text));
    const c = JwtBundle.parse(TrustDomain.parse("example.org"), JSON.parse(text) as object);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(true);
  });

  test("an empty key set is valid and trusts nothing", () => {
    const bundle = JwtBundle.parse("example.org", '{"keys":[]}');
    expect(bundle.keys).toEqual([]);
    expect(bundle.findKey("")).toBeUndefined();
    expect(bundle.toJwks()).toEqual({ keys: [] });
  });

  test("other top-level members (spiffe_sequence, ...) are allowed and x509-svid keys are skipped", () => {
    const bundle = JwtBundle.parse("example.org", { spiffe_sequence: 3, keys: [ec256, { kty: "EC", use: "x509-svid", x5c: [] }], extra: {} });
    expect(bundle.keys.map((k) => k.kid)).toEqual(["ec256"]);
    expect(bundle.ignoredKeys).toEqual([{ index: 1, kty: "EC", use: "x509-svid", reason: '"use" is "x509-svid", not "jwt-svid"' }]);
  });

  test("the bundle is a copy: changing the input or the returned arrays changes nothing", () => {
    const doc = { keys: [{ ...ec256 }] };
    const bundle = JwtBundle.parse("example.org", doc);
    doc.keys[0]!["x"] = "changed";
    doc.keys.push(ec384);
    expect(bundle.findKey("ec256")!.x).toBe(ec256["x"]);
    expect(bundle.hasKey("ec384")).toBe(false);
    expect(Object.isFrozen(bundle.keys)).toBe(true);
    expect(Object.isFrozen(bundle.ignoredKeys)).toBe(true);
  });

  test("an inherited (prototype) member does not count as a JWK member", () => {
    const proto = { kid: "from-proto" };
    const jwk = Object.assign(Object.create(proto) as Jwk, { kty: "EC", crv: "P-256", x: ec256["x"], y: ec256["y"] });
    expect(codeOf(() => JwtBundle.parse("example.org", { keys: [jwk] }))).toBe("ERR_BUNDLE_JWK"); // no own kid
  });
});

describe("JwtBundle.parse ignores keys it cannot trust, keeping the others", () => {
  const cases: Array<[string, Jwk, RegExp]> = [
    ["use x509-svid", { ...ec384, use: "x509-svid" }, /not "jwt-svid"/],
    ["use enc", { ...ec384, use: "enc" }, /not "jwt-svid"/],
    ["unknown kty (no kid needed)", { kty: "PQC", pub: "xyz" }, /unknown key type "PQC"/],
    ["OKP (EdDSA is not a JWT-SVID algorithm)", okp, /OKP keys/],
    ["oct without k", { kty: "oct", kid: "sym" }, /symmetric/],
    ["EC curve secp256k1", { kty: "EC", kid: "k1", crv: "secp256k1", x: ec256["x"], y: ec256["y"] }, /curve "secp256k1"/],
    ["RSA modulus below 2048 bits", rsa1024, /1024 bits is too small/],
    ["RSA modulus above 16384 bits", rsaHuge, /16392 bits is too large/],
    ["alg ES384 on a P-256 key", { ...ec256, kid: "x", alg: "ES384" }, /expected ES256/],
    ["alg EdDSA on an EC key", { ...ec256, kid: "x", alg: "EdDSA" }, /cannot be used/],
    ["alg HS256 on an RSA key", { ...rsa2048, kid: "x", alg: "HS256" }, /not a JWT-SVID algorithm/],
    ["alg none on an RSA key", { ...rsa2048, kid: "x", alg: "none" }, /not a JWT-SVID algorithm/],
    ["key_ops without verify", { ...ec256, kid: "x", key_ops: ["sign"] }, /key_ops/],
  ];
  for (const [name, key, reason] of cases) {
    test(name, () => {
      const bundle = JwtBundle.parse("example.org", jwks(ec256, key, rsa2048));
      expect(bundle.keys.map((k) => k.kid)).toEqual(["ec256", "rsa2048"]);
      expect(bundle.ignoredKeys.length).toBe(1);
      const ignored = bundle.ignoredKeys[0]!;
      expect(ignored.index).toBe(1);
      expect(ignored.reason).toMatch(reason);
      expect(ignored.kty).toBe(key["kty"] as string);
      expect(ignored.kid).toBe(key["kid"] as string | undefined);
    });
  }

  test("a bundle whose keys are all ignored trusts nothing", () => {
    const bundle = JwtBundle.parse("example.org", jwks(okp, rsa1024));
    expect(bundle.keys).toEqual([]);
    expect(bundle.ignoredKeys.map((i) => i.index)).toEqual([0, 1]);
  });

  test("an ignored key may share a kid with a trusted one", () => {
    const bundle = JwtBundle.parse("example.org", jwks(ec256, { ...okp, kid: "ec256" }));
    expect(bundle.findKey("ec256")!.kty).toBe("EC");
  });
});

describe("JwtBundle.parse rejects", () => {
  const rejects: Array<[string, unknown, BundleErrorCode]> = [
    ["text that is not JSON", "not json", "ERR_BUNDLE_JSON"],
    ["truncated JSON", jwks(ec256).slice(0, 40), "ERR_BUNDLE_JSON"],
    ["empty text", "", "ERR_BUNDLE_JSON"],
    ["bytes that are not UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "ERR_BUNDLE_JSON"],
    ["a JSON array", "[]", "ERR_BUNDLE_JWKS"],
    ["a JSON number", "42", "ERR_BUNDLE_JWKS"],
    ["JSON null", "null", "ERR_BUNDLE_JWKS"],
    ["a document without keys", '{"spiffe_sequence":1}', "ERR_BUNDLE_JWKS"],
    ["keys that is not an array", '{"keys":{}}', "ERR_BUNDLE_JWKS"],
    ["keys: null", '{"keys":null}', "ERR_BUNDLE_JWKS"],
    ["a number instead of a document", 42, "ERR_BUNDLE_JWKS"],
    ["null instead of a document", null, "ERR_BUNDLE_JWKS"],
    ["undefined instead of a document", undefined, "ERR_BUNDLE_JWKS"],
    ["a key that is not an object", jwks(ec256, "key"), "ERR_BUNDLE_JWK"],
    ["a key that is null", jwks(null), "ERR_BUNDLE_JWK"],
    ["a key that is an array", jwks([]), "ERR_BUNDLE_JWK"],
    ["a key without kty", jwks({ kid: "a", crv: "P-256", x: ec256["x"], y: ec256["y"] }), "ERR_BUNDLE_JWK"],
    ["a numeric kty", jwks({ ...ec256, kty: 1 }), "ERR_BUNDLE_JWK"],
    ["a numeric use", jwks({ ...ec256, use: 1 }), "ERR_BUNDLE_JWK"],
    ["a numeric kid", jwks({ ...ec256, kid: 7 }), "ERR_BUNDLE_JWK"],
    ["a usable key without kid", jwks({ ...ec256, kid: undefined }), "ERR_BUNDLE_JWK"],
    ["a usable key with an empty kid", jwks({ ...ec256, kid: "" }), "ERR_BUNDLE_JWK"],
    ["an EC key without crv", jwks({ ...ec256, crv: undefined }), "ERR_BUNDLE_JWK"],
    ["an EC key without y", jwks({ ...ec256, y: undefined }), "ERR_BUNDLE_JWK"],
    ["an EC x of the wrong length", jwks({ ...ec256, x: ec384["x"] }), "ERR_BUNDLE_JWK"],
    ["a P-521 y of P-256 length", jwks({ ...ec521, y: ec256["y"] }), "ERR_BUNDLE_JWK"],
    ["padded base64url", jwks({ ...ec256, x: `${ec256["x"] as string}=` }), "ERR_BUNDLE_JWK"],
    ["standard base64 characters", jwks({ ...ec256, x: (ec256["x"] as string).slice(0, 42) + "+/" }), "ERR_BUNDLE_JWK"],
    ["an RSA key without n", jwks({ ...rsa2048, n: undefined }), "ERR_BUNDLE_JWK"],
    ["an RSA key with a numeric e", jwks({ ...rsa2048, e: 65537 }), "ERR_BUNDLE_JWK"],
    ["an even RSA exponent", jwks({ ...rsa2048, e: "AQAA" }), "ERR_BUNDLE_JWK"],
    ["RSA exponent 1", jwks({ ...rsa2048, e: "AQ" }), "ERR_BUNDLE_JWK"],
    ["a numeric alg", jwks({ ...ec256, alg: 256 }), "ERR_BUNDLE_JWK"],
    ["key_ops that is not an array of strings", jwks({ ...ec256, key_ops: "verify" }), "ERR_BUNDLE_JWK"],
    ["two usable keys with one kid", jwks(ec256, { ...ec384, kid: "ec256" }), "ERR_BUNDLE_DUPLICATE_KID"],
  ];
  for (const [name, input, code] of rejects) {
    test(`${name}: ${code}`, () => {
      expect(codeOf(() => JwtBundle.parse("example.org", input as string))).toBe(code);
    });
  }

  test("a cyclic object: ERR_BUNDLE_JSON", () => {
    const doc: Jwk = { keys: [] };
    doc["self"] = doc;
    expect(codeOf(() => JwtBundle.parse("example.org", doc))).toBe("ERR_BUNDLE_JSON");
  });

  test("an object with a throwing getter: ERR_BUNDLE_JSON", () => {
    const doc = {
      get keys(): never {
        throw new Error("boom");
      },
    };
    expect(codeOf(() => JwtBundle.parse("example.org", doc))).toBe("ERR_BUNDLE_JSON");
  });

  test("input above 8 MiB: ERR_BUNDLE_TOO_LARGE", () => {
    const big = `{"keys":[],"pad":"${"a".repeat(8 * 1024 * 1024)}"}`;
    expect(codeOf(() => JwtBundle.parse("example.org", big))).toBe("ERR_BUNDLE_TOO_LARGE");
    expect(codeOf(() => JwtBundle.parse("example.org", new Uint8Array(8 * 1024 * 1024 + 1)))).toBe("ERR_BUNDLE_TOO_LARGE");
  });

  test("an invalid trust domain: SpiffeIdError", () => {
    expect(() => JwtBundle.parse("Example.org", jwks())).toThrow(SpiffeIdError);
  });

  describe("private key material refuses the whole bundle (ERR_BUNDLE_JWK_PRIVATE), without echoing it", () => {
    const cases: Array<[string, Jwk, string]> = [
      ["EC private key (d)", ecPrivate, ecPrivate["d"] as string],
      ["RSA private key (d, p, q, dp, dq, qi)", rsaPrivate, rsaPrivate["p"] as string],
      ["RSA with only p", { ...rsa2048, kid: "p-only", p: rsaPrivate["p"] }, rsaPrivate["p"] as string],
      ["RSA with only qi", { ...rsa2048, kid: "qi-only", qi: rsaPrivate["qi"] }, rsaPrivate["qi"] as string],
      ["RSA with oth", { ...rsa2048, kid: "oth", oth: [] }, "oth"],
      ["oct secret (k)", { kty: "oct", kid: "hmac", k: "c2VjcmV0LXNlY3JldC1zZWNyZXQ" }, "c2VjcmV0LXNlY3JldC1zZWNyZXQ"],
      ["a private key with an ignored use", { ...ecPrivate, use: "enc" }, ecPrivate["d"] as string],
      ["a private key of unknown kty", { kty: "PQC", d: "c2VjcmV0" }, "c2VjcmV0"],
      ["a private OKP key", { ...okp, d: "c2VjcmV0LW9rcA" }, "c2VjcmV0LW9rcA"],
    ];
    for (const [name, key, secret] of cases) {
      test(name, () => {
        const err = errorOf(() => JwtBundle.parse("example.org", jwks(ec256, key)));
        expect(err.code).toBe("ERR_BUNDLE_JWK_PRIVATE");
        if (secret !== "oth") expect(err.message.includes(secret)).toBe(false);
      });
    }
  });
});

describe("JwtBundle.fromKeys", () => {
  const { kid: _kid, ...ecNoKid } = ec256;

  test("from a record of kid to JWK: the record key is the kid", () => {
    const bundle = JwtBundle.fromKeys("example.org", { first: ecNoKid as JsonWebKey, rsa2048: rsa2048 as JsonWebKey });
    expect(bundle.keys.map((k) => k.kid)).toEqual(["first", "rsa2048"]);
    expect(bundle.findKey("first")).toEqual({ kty: "EC", kid: "first", crv: "P-256", x: ec256["x"], y: ec256["y"] });
  });

  test("from an array of JWKs with kids, equal to parsing the same JWKS", () => {
    const bundle = JwtBundle.fromKeys(TrustDomain.parse("example.org"), [ec256 as JsonWebKey, { ...ec384, use: "jwt-svid" } as JsonWebKey]);
    expect(bundle.equals(JwtBundle.parse("example.org", jwks(ec256, ec384)))).toBe(true);
    expect(bundle.ignoredKeys).toEqual([]);
  });

  test("an empty list trusts nothing", () => {
    expect(JwtBundle.fromKeys("example.org", []).keys).toEqual([]);
    expect(JwtBundle.fromKeys("example.org", {}).keys).toEqual([]);
  });

  const rejects: Array<[string, unknown, BundleErrorCode]> = [
    ["a record whose JWK has another kid inside", { other: ec256 }, "ERR_BUNDLE_JWK"],
    ["an array key without kid", [ecNoKid], "ERR_BUNDLE_JWK"],
    ["a key parse would ignore (OKP)", [okp], "ERR_BUNDLE_JWK"],
    ["a key parse would ignore (weak RSA)", { weak: rsa1024 }, "ERR_BUNDLE_JWK"],
    ["a key with use x509-svid", [{ ...ec256, use: "x509-svid" }], "ERR_BUNDLE_JWK"],
    ["a record entry that is not an object", { a: 5 }, "ERR_BUNDLE_JWK"],
    ["a private key", [ecPrivate], "ERR_BUNDLE_JWK_PRIVATE"],
    ["a duplicate kid", [ec256, { ...ec384, kid: "ec256" }], "ERR_BUNDLE_DUPLICATE_KID"],
  ];
  for (const [name, input, code] of rejects) {
    test(`${name}: ${code}`, () => {
      expect(codeOf(() => JwtBundle.fromKeys("example.org", input as JsonWebKey[]))).toBe(code);
    });
  }
  for (const [name, input] of [["a string instead of keys", "keys"], ["null instead of keys", null]] as const) {
    test(`${name}: InvalidArgumentError naming "keys"`, async () => {
      await expectInvalidArgument(() => JwtBundle.fromKeys("example.org", input as unknown as JsonWebKey[]), "keys");
    });
  }
});

describe("JwtBundle serialization, equality and the source interface", () => {
  test("toJwks adds use jwt-svid; parse(toJson()) round-trips to an equal bundle", () => {
    const bundle = JwtBundle.parse("example.org", jwks(ec256, okp, { ...rsa2048, alg: "PS256" }, ec521));
    const out = bundle.toJwks();
    expect(out.keys.map((k) => [k.kid, k.use])).toEqual([["ec256", "jwt-svid"], ["rsa2048", "jwt-svid"], ["ec521", "jwt-svid"]]);
    const again = JwtBundle.parse("example.org", bundle.toJson());
    expect(again.equals(bundle)).toBe(true);
    expect(again.toJson()).toBe(bundle.toJson());
    out.keys.length = 0; // a fresh object each time
    expect(bundle.toJwks().keys.length).toBe(3);
  });

  test("equals ignores key order but not trust domain, kids or key material", () => {
    const a = JwtBundle.parse("example.org", jwks(ec256, ec384));
    expect(a.equals(JwtBundle.parse("example.org", jwks(ec384, ec256)))).toBe(true);
    expect(a.equals(JwtBundle.parse("other.org", jwks(ec256, ec384)))).toBe(false);
    expect(a.equals(JwtBundle.parse("example.org", jwks(ec256)))).toBe(false);
    expect(a.equals(JwtBundle.parse("example.org", jwks(ec256, { ...ec384, kid: "renamed" })))).toBe(false);
    expect(a.equals(JwtBundle.parse("example.org", jwks(ec256, { ...ec521, kid: "ec384" })))).toBe(false);
    expect(a.equals(JwtBundle.parse("example.org", jwks(ec256, { ...ec384, alg: "ES384" })))).toBe(false);
  });

  test("a bundle is a source for its own trust domain only", () => {
    const bundle = JwtBundle.parse("example.org", jwks(ec256));
    expect(bundle.getJwtBundleForTrustDomain(TrustDomain.parse("example.org"))).toBe(bundle);
    expect(bundle.getJwtBundleForTrustDomain("example.org")).toBe(bundle);
    expect(bundle.getForTrustDomain("example.org")).toBe(bundle);
    expect(bundle.getJwtBundleForTrustDomain(TrustDomain.parse("other.org"))).toBeUndefined();
    expect(bundle.getForTrustDomain("other.org")).toBeUndefined();
    expect(bundle.getForTrustDomain(null as unknown as string)).toBeUndefined();
  });

  test("errors are SpiffeErrors with the BundleError name", () => {
    const err = errorOf(() => JwtBundle.parse("example.org", "{"));
    expect(err).toBeInstanceOf(SpiffeError);
    expect(err.name).toBe("BundleError");
    expect(err.message).toMatch(/JWT bundle of "example.org" is not valid JSON/);
  });
});
