import { describe, expect, test } from "bun:test";
import { BundleSet, JwtBundle, JwtSvid, JwtSvidError, SpiffeError, SpiffeId, SpiffeIdError } from "../../../../mod.ts";
import { expectInvalidArgument } from "../../../support/rejection.ts";
import { ALGS, b64u, bundleOf, codeOf, createKeys, part, signRaw, signWith } from "./jws-fixtures.ts";

const NOW = new Date("2030-01-01T00:00:00Z");
const T = NOW.getTime() / 1000;
const AUD = "spiffe://example.org/api";
const SUB = "spiffe://example.org/web";
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ sub: SUB, aud: [AUD], iat: T - 10, exp: T + 300, ...extra });

const keys = await createKeys();
const others = await createKeys("other-");
const bundle = bundleOf("example.org", Object.values(keys));
const at = { now: NOW };
const validate = (token: string, source: Parameters<typeof JwtSvid.parseAndValidate>[1] = bundle, aud: string | string[] = AUD, opts = at) =>
  JwtSvid.parseAndValidate(token, source, aud, opts);

describe("JwtSvid.parseAndValidate accepts", () => {
  for (const alg of ALGS) {
    test(`${alg} signed by the kid key of the subject's trust domain`, async () => {
      const token = await signWith(keys[alg], claims({ custom: { nested: [1, 2] } }));
      const svid = await validate(token);
      expect(svid).toBeInstanceOf(JwtSvid);
      expect(svid.id.toString()).toBe(SUB);
      expect(svid.audience).toEqual([AUD]);
      expect(svid.expiresAt.getTime()).toBe((T + 300) * 1000);
      expect(svid.token).toBe(token);
      expect(svid.hint).toBe("");
      expect(svid.claims["custom"]).toEqual({ nested: [1, 2] });
    });
  }

  test("typ absent, JWT or JOSE", async () => {
    for (const typ of [undefined, "JWT", "JOSE"]) expect((await validate(await signWith(keys.ES256, claims(), { typ }))).id.toString()).toBe(SUB);
  });

  test("aud as a string, or an array containing the audience among others", async () => {
    expect((await validate(await signWith(keys.ES256, claims({ aud: AUD })))).audience).toEqual([AUD]);
    expect((await validate(await signWith(keys.ES256, claims({ aud: ["other", AUD] })))).audience).toEqual(["other", AUD]);
  });

  test("a list of acceptable audiences: any one of them in aud", async () => {
    const token = await signWith(keys.ES256, claims({ aud: "reports" }));
    expect((await validate(token, bundle, ["spiffe://example.org/reports", "reports"])).audience).toEqual(["reports"]);
  });

  test("no kid: any key of the trust domain that verifies", async () => {
    const two = bundleOf("example.org", [others.ES256, keys.ES256]);
    const token = await signWith(keys.ES256, claims(), { kid: undefined });
    expect((await validate(token, two)).id.toString()).toBe(SUB);
    const rsaToken = await signWith(keys.PS384, claims(), { kid: undefined });
    expect((await validate(rsaToken)).id.toString()).toBe(SUB);
  });

  test("iat is not required, and nbf in the past is fine", async () => {
    const c = claims({ nbf: T - 5 });
    delete c["iat"];
    expect((await validate(await signWith(keys.ES256, c))).id.toString()).toBe(SUB);
  });

  test("exp and nbf within the default 30 s clock skew", async () => {
    expect((await validate(await signWith(keys.ES256, claims({ exp: T - 29 })))).id.toString()).toBe(SUB);
    expect((await validate(await signWith(keys.ES256, claims({ nbf: T + 30 })))).id.toString()).toBe(SUB);
  });

  test("a configured clock skew (up to 300 s)", async () => {
    const token = await signWith(keys.ES256, claims({ exp: T - 200 }));
    expect((await validate(token, bundle, AUD, { now: NOW, clockSkewSeconds: 300 } as typeof at)).id.toString()).toBe(SUB);
  });

  test("bundle sources: a BundleSet, a custom source, the default clock", async () => {
    const token = await signWith(keys.ES256, claims());
    expect((await validate(token, new BundleSet([bundle]))).id.toString()).toBe(SUB);
    expect((await validate(token, { getJwtBundleForTrustDomain: (td) => (td.name === "example.org" ? bundle : undefined) })).id.toString()).toBe(SUB);
    const live = await signWith(keys.ES256, claims({ iat: undefined, exp: Math.floor(Date.now() / 1000) + 60 }));
    expect((await JwtSvid.parseAndValidate(live, bundle, AUD)).id.toString()).toBe(SUB);
  });

  test("keys in a JWKS with use other than jwt-svid or unknown kty are ignored, the others still verify", async () => {
    const parsed = JwtBundle.parse("example.org", {
      keys: [
        { ...others.ES256.jwk, kid: "x509", use: "x509-svid" },
        { kty: "FUTURE", kid: "future", use: "jwt-svid" },
        { ...keys.ES256.jwk, use: "jwt-svid" },
      ],
    });
    expect((await validate(await signWith(keys.ES256, claims()), parsed)).id.toString()).toBe(SUB);
    // the x509-svid key is not a JWT authority, even named by kid
    expect(await codeOf(async () => validate(await signWith({ ...others.ES256, kid: "x509" }, claims()), parsed))).toBe("ERR_JWT_SVID_KEY_NOT_FOUND");
  });
});

describe("JwtSvid.parseAndValidate rejects the serialization", () => {
  test("JWS JSON serialization", async () => {
    const token = await signWith(keys.ES256, claims());
    const [h, p, s] = token.split(".");
    for (const json of [JSON.stringify({ protected: h, payload: p, signature: s }), JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] }), ` {"payload":"${p}"}`]) {
      expect(await codeOf(() => validate(json), json)).toBe("ERR_JWT_SVID_JSON_SERIALIZATION");
    }
  });

  test("wrong number of parts (including a five-part JWE)", async () => {
    const token = await signWith(keys.ES256, claims());
    const [h, p, s] = token.split(".") as [string, string, string];
    for (const t of [h, `${h}.${p}`, `${token}.`, `${h}.${p}.${s}.x`, `${h}.x.${p}.y.${s}`, "..."]) {
      expect(await codeOf(() => validate(t), t)).toBe("ERR_JWT_SVID_PART_COUNT");
    }
  });

  test("bad base64url in any part (padding, standard alphabet, stray characters, non-canonical)", async () => {
    const token = await signWith(keys.ES256, claims());
    const [h, p, s] = token.split(".") as [string, string, string];
    const bad = [
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s.slice(0, -2)}+/`,
      `${h}.${p}.${s}=`,
      `${h.slice(0, 4)}*${h.slice(5)}.${p}.${s}`,
      `${h}.${p} .${s}`,
      `${h}.${p}.${s}AAA`, // length % 4 == 1: no byte count fits
    ];
    for (const t of bad) expect(await codeOf(() => validate(t), t)).toBe("ERR_JWT_SVID_BASE64URL");
    // "eR" is a non-canonical spelling of the byte "y" ("eQ" is canonical): refused
    expect(await codeOf(() => validate(`eR.${p}.${s}`))).toBe("ERR_JWT_SVID_BASE64URL");
  });

  test("bad JSON: not JSON, not an object, not UTF-8, empty", async () => {
    const p = part(claims());
    const h = part({ alg: "ES256", kid: keys.ES256.kid });
    for (const t of [
      `${b64u("{not json")}.${p}.AAAA`,
      `${b64u("[1,2]")}.${p}.AAAA`,
      `${b64u("null")}.${p}.AAAA`,
      `${b64u(new Uint8Array([0x7b, 0xff, 0x7d]))}.${p}.AAAA`,
      `.${p}.AAAA`,
      `${h}.${b64u('"a string"')}.AAAA`,
      `${h}.${b64u('{"sub":')}.AAAA`,
      `${h}..AAAA`,
    ]) {
      expect(await codeOf(() => validate(t), t)).toBe("ERR_JWT_SVID_JSON");
    }
  });

  test("not a string, empty, too large", async () => {
    await expectInvalidArgument(() => validate(42 as unknown as string), "token");
    await expectInvalidArgument(() => validate(null as unknown as string), "token");
    await expectInvalidArgument(() => validate(""), "token");
    const huge = await signWith(keys.ES256, claims({ pad: "x".repeat(70_000) }));
    expect(await codeOf(() => validate(huge), huge)).toBe("ERR_JWT_SVID_TOO_LARGE");
  });
});

describe("JwtSvid.parseAndValidate rejects the header", () => {
  test("alg none (unsigned, with or without a signature)", async () => {
    for (const alg of ["none", "None", "NONE"]) {
      const unsigned = `${part({ alg, typ: "JWT" })}.${part(claims())}.`;
      expect(await codeOf(() => validate(unsigned), unsigned)).toBe("ERR_JWT_SVID_UNSUPPORTED_ALG");
    }
    const withSig = `${part({ alg: "none", kid: keys.ES256.kid })}.${part(claims())}.${(await signWith(keys.ES256, claims())).split(".")[2]}`;
    expect(await codeOf(() => validate(withSig), withSig)).toBe("ERR_JWT_SVID_UNSUPPORTED_ALG");
  });

  test("HS256/384/512 keyed with the PEM, the JWK JSON and the raw coordinates of a bundle key", async () => {
    const ec = keys.ES256;
    const publicKey = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: ec.jwk["x"] as string, y: ec.jwk["y"] as string }, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
    const pem = `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki)).replace(/(.{64})/g, "$1\n")}\n-----END PUBLIC KEY-----\n`;
    const secrets = [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(ec.jwk)), spki];
    for (const hash of ["SHA-256", "SHA-384", "SHA-512"] as const) {
      for (const secret of secrets) {
        const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash }, false, ["sign"]);
        const alg = `HS${hash.slice(4)}`;
        const token = await signRaw(alg, hmac, { alg, kid: ec.kid, typ: "JWT" }, claims());
        expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_UNSUPPORTED_ALG");
        const noKid = await signRaw(alg, hmac, { alg }, claims());
        expect(await codeOf(() => validate(noKid), noKid)).toBe("ERR_JWT_SVID_UNSUPPORTED_ALG");
      }
    }
  });

  test("EdDSA and every other algorithm, even when the bundle has a key for the kid", async () => {
    const sig = (await signWith(keys.ES256, claims())).split(".")[2];
    for (const alg of ["EdDSA", "Ed25519", "ES256K", "RS1", "PS256 ", "es256", "RSA-OAEP", "A128KW", "dir", "", 256, null, ["ES256"]]) {
      const token = `${part({ alg, kid: keys.ES256.kid })}.${part(claims())}.${sig}`;
      expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_UNSUPPORTED_ALG");
    }
    const noAlg = `${part({ kid: keys.ES256.kid })}.${part(claims())}.${sig}`;
    expect(await codeOf(() => validate(noAlg), noAlg)).toBe("ERR_JWT_SVID_UNSUPPORTED_ALG");
  });

  test("typ other than JWT or JOSE", async () => {
    for (const typ of ["jwt", "at+jwt", "JWS", "", 1, null]) {
      const token = await signWith(keys.ES256, claims(), { typ });
      expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_TYP");
    }
  });

  test("crit, whatever it lists", async () => {
    for (const header of [{ crit: ["exp"], exp: 1 }, { crit: ["b64"], b64: false }, { crit: [] }, { crit: "kid" }]) {
      const token = await signWith(keys.ES256, claims(), header);
      expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_CRIT");
    }
  });

  test("any header parameter but alg, kid and typ (embedded keys, key URLs, private ones)", async () => {
    for (const header of [{ jwk: keys.ES256.jwk }, { jku: "https://evil.example/jwks" }, { x5c: ["AAAA"] }, { x5u: "https://evil.example" }, { cty: "JWT" }, { b64: false }, { foo: 1 }]) {
      const token = await signWith(keys.ES256, claims(), header);
      expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_HEADER_NOT_ALLOWED");
    }
  });

  test("a kid that is empty or not a string", async () => {
    for (const kid of ["", 7, null, ["es256"]]) {
      const token = await signWith(keys.ES256, claims(), { kid });
      expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_KID");
    }
  });
});

describe("JwtSvid.parseAndValidate rejects the claims", () => {
  const sign = (c: Record<string, unknown>): Promise<string> => signWith(keys.ES256, c);
  const without = (name: string): Record<string, unknown> => {
    const c = claims();
    delete c[name];
    return c;
  };

  test("sub missing, not a string, not a valid SPIFFE ID", async () => {
    expect(await codeOf(async () => validate(await sign(without("sub"))))).toBe("ERR_JWT_SVID_MISSING_SUBJECT");
    for (const sub of [42, null, ["spiffe://example.org/web"]]) expect(await codeOf(async () => validate(await sign(claims({ sub }))))).toBe("ERR_JWT_SVID_INVALID_SUBJECT");
    for (const sub of ["", "https://example.org/web", "spiffe://Example.org/web", "spiffe://example.org/web/", "spiffe://example.org/a/../b", "web"]) {
      const token = await sign(claims({ sub }));
      const err = await validate(token).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JwtSvidError);
      expect((err as JwtSvidError).code).toBe("ERR_JWT_SVID_INVALID_SUBJECT");
      expect((err as JwtSvidError).cause).toBeInstanceOf(SpiffeIdError);
    }
  });

  test("sub a bare trust-domain ID (no path): ERR_JWT_SVID_NO_PATH, before any key or bundle lookup", async () => {
    for (const sub of ["spiffe://example.org", "spiffe://other.example"]) {
      const err = await validate(await sign(claims({ sub }))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JwtSvidError);
      expect((err as JwtSvidError).code).toBe("ERR_JWT_SVID_NO_PATH");
      expect((err as JwtSvidError).message).toContain("has no path");
    }
    // Signed by a key of no bundle, and for a trust domain without a bundle: still NO_PATH.
    const unknown = await signWith(others.ES256, claims({ sub: "spiffe://example.org" }), { kid: "nobody" });
    expect(await codeOf(() => validate(unknown))).toBe("ERR_JWT_SVID_NO_PATH");
    expect(await codeOf(() => validate(unknown, { getJwtBundleForTrustDomain: () => undefined }))).toBe("ERR_JWT_SVID_NO_PATH");
    // One path segment is a workload.
    expect((await validate(await sign(claims({ sub: "spiffe://example.org/a" })))).id.toString()).toBe("spiffe://example.org/a");
  });

  test("aud missing or empty; of the wrong type; not containing the audience", async () => {
    expect(await codeOf(async () => validate(await sign(without("aud"))))).toBe("ERR_JWT_SVID_MISSING_AUDIENCE");
    expect(await codeOf(async () => validate(await sign(claims({ aud: [] }))))).toBe("ERR_JWT_SVID_MISSING_AUDIENCE");
    for (const aud of [42, null, { a: AUD }, [AUD, 1]]) expect(await codeOf(async () => validate(await sign(claims({ aud }))))).toBe("ERR_JWT_SVID_INVALID_CLAIM");
    for (const aud of ["spiffe://example.org/other", ["a", "b"], `${AUD}/`, AUD.toUpperCase()]) {
      expect(await codeOf(async () => validate(await sign(claims({ aud }))))).toBe("ERR_JWT_SVID_AUDIENCE_MISMATCH");
    }
  });

  test("exp missing, malformed, past (beyond the skew)", async () => {
    expect(await codeOf(async () => validate(await sign(without("exp"))))).toBe("ERR_JWT_SVID_MISSING_EXPIRATION");
    for (const exp of [String(T + 300), null, true, 1e300, [T + 300]]) expect(await codeOf(async () => validate(await sign(claims({ exp }))))).toBe("ERR_JWT_SVID_INVALID_CLAIM");
    expect(await codeOf(async () => validate(await sign(claims({ exp: T - 30 }))))).toBe("ERR_JWT_SVID_EXPIRED");
    expect(await codeOf(async () => validate(await sign(claims({ exp: 0 }))))).toBe("ERR_JWT_SVID_EXPIRED");
    const now = await sign(claims({ exp: T }));
    expect(await codeOf(() => validate(now, bundle, AUD, { now: NOW, clockSkewSeconds: 0 } as typeof at))).toBe("ERR_JWT_SVID_EXPIRED");
    expect(await codeOf(() => validate(now, bundle, AUD, { now: new Date(NOW.getTime() - 1), clockSkewSeconds: 0 } as typeof at))).toBe("no error");
  });

  test("nbf in the future beyond the skew, or malformed", async () => {
    expect(await codeOf(async () => validate(await sign(claims({ nbf: T + 31 }))))).toBe("ERR_JWT_SVID_NOT_YET_VALID");
    const soon = await sign(claims({ nbf: T + 1 }));
    expect(await codeOf(() => validate(soon, bundle, AUD, { now: NOW, clockSkewSeconds: 0 } as typeof at))).toBe("ERR_JWT_SVID_NOT_YET_VALID");
    expect(await codeOf(async () => validate(await sign(claims({ nbf: "yesterday" }))))).toBe("ERR_JWT_SVID_INVALID_CLAIM");
  });

  test("iat, when present, must be a NumericDate", async () => {
    expect(await codeOf(async () => validate(await sign(claims({ iat: "now" }))))).toBe("ERR_JWT_SVID_INVALID_CLAIM");
  });
});

describe("JwtSvid.parseAndValidate rejects keys and signatures", () => {
  test("alg that does not fit the kid key's type or curve (algorithm confusion)", async () => {
    const cases: [string, keyof typeof keys][] = [
      ["RS256", "ES256"], // RSA algorithm, EC key
      ["PS256", "ES384"],
      ["ES256", "RS256"], // EC algorithm, RSA key
      ["ES384", "ES256"], // wrong curve
      ["ES256", "ES512"],
      ["ES512", "ES384"],
    ];
    for (const [alg, kidOf] of cases) {
      const token = await signWith(keys[alg as keyof typeof keys], claims(), { kid: keys[kidOf].kid });
      expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_ALG_KEY_MISMATCH");
    }
  });

  test("a key restricted by its own alg", async () => {
    const restricted = JwtBundle.fromKeys("example.org", [{ ...keys.RS256.jwk, alg: "RS256" }]);
    expect(await codeOf(async () => validate(await signWith(keys.RS256, claims()), restricted))).toBe("no error");
    const token = await signWith(keys.PS256, claims());
    expect(await codeOf(() => validate(token, restricted), token)).toBe("ERR_JWT_SVID_ALG_KEY_MISMATCH");
  });

  test("no kid, and no key of the trust domain fits the algorithm", async () => {
    const ecOnly = bundleOf("example.org", [keys.ES256]);
    const token = await signWith(keys.RS256, claims(), { kid: undefined });
    expect(await codeOf(() => validate(token, ecOnly), token)).toBe("ERR_JWT_SVID_ALG_KEY_MISMATCH");
  });

  test("kid not in the bundle; no kid and an empty bundle", async () => {
    expect(await codeOf(async () => validate(await signWith(keys.ES256, claims(), { kid: "unknown" })))).toBe("ERR_JWT_SVID_KEY_NOT_FOUND");
    const empty = JwtBundle.parse("example.org", { keys: [] });
    expect(await codeOf(async () => validate(await signWith(keys.ES256, claims()), empty))).toBe("ERR_JWT_SVID_KEY_NOT_FOUND");
    expect(await codeOf(async () => validate(await signWith(keys.ES256, claims(), { kid: undefined }), empty))).toBe("ERR_JWT_SVID_KEY_NOT_FOUND");
  });

  test("a signature by another key under the same kid; a tampered payload or header; a truncated signature", async () => {
    const forged = await signWith({ ...others.ES256, kid: keys.ES256.kid }, claims());
    expect(await codeOf(() => validate(forged), forged)).toBe("ERR_JWT_SVID_SIGNATURE");
    for (const alg of ALGS) {
      const token = await signWith(keys[alg], claims());
      const [h, , s] = token.split(".") as [string, string, string];
      const tampered = `${h}.${part(claims({ sub: "spiffe://example.org/admin" }))}.${s}`;
      expect(await codeOf(() => validate(tampered), tampered)).toBe("ERR_JWT_SVID_SIGNATURE");
    }
    const token = await signWith(keys.ES256, claims());
    const [h, p, s] = token.split(".") as [string, string, string];
    const retyped = `${part({ alg: "ES256", kid: keys.ES256.kid, typ: "JOSE" })}.${p}.${s}`;
    expect(await codeOf(() => validate(retyped), retyped)).toBe("ERR_JWT_SVID_SIGNATURE");
    const short = `${h}.${p}.${s.slice(0, 40)}`;
    expect(await codeOf(() => validate(short), short)).toBe("ERR_JWT_SVID_SIGNATURE");
    const empty = `${h}.${p}.`;
    expect(await codeOf(() => validate(empty), empty)).toBe("ERR_JWT_SVID_SIGNATURE");
  });

  test("no kid and no key of the trust domain verifies", async () => {
    const token = await signWith(others.ES256, claims(), { kid: undefined });
    expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_SIGNATURE");
  });

  test("the key comes only from the bundle of sub's trust domain", async () => {
    // example.org and other.org both have a key "k"; a token of other.org signed with example.org's key fails
    const set = new BundleSet([
      JwtBundle.fromKeys("example.org", [{ ...keys.ES256.jwk, kid: "k" }]),
      JwtBundle.fromKeys("other.org", [{ ...others.ES256.jwk, kid: "k" }]),
    ]);
    const ok = await signWith({ ...keys.ES256, kid: "k" }, claims());
    expect(await codeOf(() => validate(ok, set))).toBe("no error");
    const cross = await signWith({ ...keys.ES256, kid: "k" }, claims({ sub: "spiffe://other.org/web" }));
    expect(await codeOf(() => validate(cross, set), cross)).toBe("ERR_JWT_SVID_SIGNATURE");
    const crossNoKid = await signWith(keys.ES256, claims({ sub: "spiffe://other.org/web" }), { kid: undefined });
    expect(await codeOf(() => validate(crossNoKid, set), crossNoKid)).toBe("ERR_JWT_SVID_SIGNATURE");
    // a kid that exists only in another trust domain's bundle is not found
    const foreignKid = await signWith(keys.ES256, claims({ sub: "spiffe://other.org/web" }));
    expect(await codeOf(() => validate(foreignKid, new BundleSet([bundle, bundleOf("other.org", [others.ES256])])), foreignKid)).toBe("ERR_JWT_SVID_KEY_NOT_FOUND");
  });

  test("no bundle for sub's trust domain; a source that lies or throws", async () => {
    const token = await signWith(keys.ES256, claims({ sub: "spiffe://unknown.org/web" }));
    expect(await codeOf(() => validate(token), token)).toBe("ERR_JWT_SVID_NO_BUNDLE");
    expect(await codeOf(() => validate(token, new BundleSet([bundle])), token)).toBe("ERR_JWT_SVID_NO_BUNDLE");
    expect(await codeOf(() => validate(token, { getJwtBundleForTrustDomain: () => bundle }), token)).toBe("ERR_JWT_SVID_NO_BUNDLE");
    const throwing = {
      getJwtBundleForTrustDomain: (): JwtBundle => {
        throw new Error("boom");
      },
    };
    const err = await validate(token, throwing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JwtSvidError);
    expect((err as JwtSvidError).code).toBe("ERR_JWT_SVID_NO_BUNDLE");
  });

  test("a key removed from the source stops validating at once", async () => {
    let current = bundleOf("example.org", [keys.ES256, others.ES256]);
    const source = { getJwtBundleForTrustDomain: () => current };
    const token = await signWith(others.ES256, claims());
    expect(await codeOf(() => validate(token, source))).toBe("no error");
    current = bundleOf("example.org", [keys.ES256]);
    expect(await codeOf(() => validate(token, source), token)).toBe("ERR_JWT_SVID_KEY_NOT_FOUND");
    // the same kid now naming another key: the old key's cached import is not used
    current = JwtBundle.fromKeys("example.org", [{ ...keys.ES256.jwk, kid: others.ES256.kid }]);
    expect(await codeOf(() => validate(token, source), token)).toBe("ERR_JWT_SVID_SIGNATURE");
  });
});

describe("JwtSvid.parseAndValidate arguments", () => {
  test("audience, options and bundle source are checked", async () => {
    const token = await signWith(keys.ES256, claims());
    for (const aud of ["", [], [""], [AUD, 1], undefined, 42]) {
      await expectInvalidArgument(() => JwtSvid.parseAndValidate(token, bundle, aud as string, at), "audience");
    }
    const badOptions: Array<[unknown, string]> = [
      [{ clockSkewSeconds: -1 }, "options.clockSkewSeconds"],
      [{ clockSkewSeconds: 301 }, "options.clockSkewSeconds"],
      [{ clockSkewSeconds: Number.NaN }, "options.clockSkewSeconds"],
      [{ clockSkewSeconds: "30" }, "options.clockSkewSeconds"],
      [{ now: "2030-01-01" }, "options.now"],
      [{ now: new Date(Number.NaN) }, "options.now"],
      [null, "options"],
    ];
    for (const [opts, argument] of badOptions) {
      await expectInvalidArgument(() => JwtSvid.parseAndValidate(token, bundle, AUD, opts as typeof at), argument);
    }
    for (const source of [null, {}, "bundle", { getJwtBundleForTrustDomain: 1 }]) {
      await expectInvalidArgument(() => JwtSvid.parseAndValidate(token, source as never, AUD, at), "bundleSource");
    }
  });

  test("garbage and mutated tokens only ever give a JwtSvidError", async () => {
    const token = await signWith(keys.ES256, claims());
    const alphabet = "AQgw_-.=+/ {}\"\u00e9\u0000";
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 300; i++) {
      const chars = token.split("");
      for (let j = 0; j < 1 + rand(4); j++) chars[rand(chars.length)] = alphabet[rand(alphabet.length)]!;
      const mutated = chars.join("");
      const code = await codeOf(() => validate(mutated), mutated);
      expect(code === "no error" || code.startsWith("ERR_JWT_SVID_")).toBe(true);
    }
    for (const garbage of ["a.b.c", "...", ".", "\u0000.\u0000.\u0000", "eyJ.eyJ.eyJ", `${part([])}.${part({})}.`, `${part({ alg: "ES256" })}.${part("x".repeat(10))}.AA`]) {
      expect(String(await codeOf(() => validate(garbage)))).toMatch(/^ERR_JWT_SVID_/);
    }
  });
});

describe("JwtSvid.parseInsecure", () => {
  test("reads an expired, wrongly signed, unknown-key token without checking it", async () => {
    const token = await signWith(others.ES256, claims({ exp: 1, aud: "elsewhere" }), { kid: "nobody" });
    const svid = JwtSvid.parseInsecure(token);
    expect(svid.id.equals(SpiffeId.parse(SUB))).toBe(true);
    expect(svid.audience).toEqual(["elsewhere"]);
    expect(svid.expiresAt.getTime()).toBe(1000);
  });

  test("still checks serialization, header and claim shapes", async () => {
    const sig = (await signWith(keys.ES256, claims())).split(".")[2];
    expect(await codeOf(() => JwtSvid.parseInsecure(`${part({ alg: "none" })}.${part(claims())}.`))).toBe("ERR_JWT_SVID_UNSUPPORTED_ALG");
    expect(await codeOf(() => JwtSvid.parseInsecure(`${part({ alg: "ES256", typ: "x" })}.${part(claims())}.${sig}`))).toBe("ERR_JWT_SVID_TYP");
    expect(await codeOf(() => JwtSvid.parseInsecure(`${part({ alg: "ES256" })}.${part({ sub: SUB, aud: AUD })}.${sig}`))).toBe("ERR_JWT_SVID_MISSING_EXPIRATION");
    expect(await codeOf(() => JwtSvid.parseInsecure(`${part({ alg: "ES256" })}.${part({ sub: "x", aud: AUD, exp: 1 })}.${sig}`))).toBe("ERR_JWT_SVID_INVALID_SUBJECT");
    expect(await codeOf(() => JwtSvid.parseInsecure(`${part({ alg: "ES256" })}.${part({ sub: "spiffe://example.org", aud: AUD, exp: 1 })}.${sig}`))).toBe("ERR_JWT_SVID_NO_PATH");
    expect(await codeOf(() => JwtSvid.parseInsecure("a.b"))).toBe("ERR_JWT_SVID_PART_COUNT");
    await expectInvalidArgument(() => JwtSvid.parseInsecure(undefined as unknown as string), "token");
  });
});

describe("JwtSvid values", () => {
  test("the token never appears in toString, toJSON, JSON.stringify; claims are frozen", async () => {
    const token = await signWith(keys.ES256, claims({ deep: { a: [1] } }));
    const svid = await validate(token);
    const signature = token.split(".")[2]!;
    for (const text of [String(svid), JSON.stringify(svid), JSON.stringify(svid.toJSON())]) {
      expect(text.includes(signature)).toBe(false);
      expect(text.includes(SUB)).toBe(true);
    }
    expect(svid.toJSON()).toEqual({ id: SUB, audience: [AUD], expiresAt: new Date((T + 300) * 1000).toISOString(), hint: "" });
    expect(Object.isFrozen(svid.claims)).toBe(true);
    expect(Object.isFrozen((svid.claims["deep"] as { a: unknown[] }).a)).toBe(true);
    expect(Object.isFrozen(svid.audience)).toBe(true);
    const inspect = (svid as unknown as Record<symbol, () => string>)[Symbol.for("nodejs.util.inspect.custom")]!.call(svid);
    expect(inspect.includes(signature)).toBe(false);
  });

  test("JwtSvidError is a SpiffeError with a stable code", async () => {
    const err = await JwtSvid.parseAndValidate("a.b", bundle, AUD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpiffeError);
    expect(err).toBeInstanceOf(JwtSvidError);
    expect((err as JwtSvidError).name).toBe("JwtSvidError");
  });
});
