import { describe, expect, test } from "bun:test";
import { SpiffeId, SpiffeIdError, type SpiffeIdErrorCode, TrustDomain } from "../../../mod.ts";

function codeOf(fn: () => unknown): SpiffeIdErrorCode | "no error" | "not a SpiffeIdError" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof SpiffeIdError ? err.code : "not a SpiffeIdError";
  }
}

describe("SpiffeId.parse accepts valid IDs", () => {
  const valid: Array<[string, string, string]> = [
    ["spiffe://example.org", "example.org", ""],
    ["spiffe://example.org/web", "example.org", "/web"],
    ["spiffe://example.org/ns/prod/sa/web", "example.org", "/ns/prod/sa/web"],
    ["spiffe://a-b_c.d0/Path.With-All_Chars09", "a-b_c.d0", "/Path.With-All_Chars09"],
    ["spiffe://192.168.0.1/ipv4-looking-trust-domain", "192.168.0.1", "/ipv4-looking-trust-domain"],
    ["spiffe://example.org/...", "example.org", "/..."],
    ["spiffe://example.org/.hidden/a..b", "example.org", "/.hidden/a..b"],
  ];
  for (const [text, td, path] of valid) {
    test(text, () => {
      const id = SpiffeId.parse(text);
      expect(id.trustDomain.name).toBe(td);
      expect(id.path).toBe(path);
      expect(id.toString()).toBe(text);
      expect(JSON.stringify({ id })).toBe(JSON.stringify({ id: text }));
      expect(SpiffeId.canParse(text)).toBe(true);
    });
  }

  test("accepts exactly 2048 bytes and the 255-byte trust domain limit", () => {
    const td = "a".repeat(255);
    const prefix = `spiffe://${td}/`;
    const id = prefix + "b".repeat(2048 - prefix.length);
    expect(id.length).toBe(2048);
    expect(SpiffeId.parse(id).toString()).toBe(id);
  });
});

describe("SpiffeId.parse rejects each rule with its code", () => {
  const invalid: Array<[unknown, SpiffeIdErrorCode]> = [
    ["", "ERR_SPIFFE_ID_EMPTY"],
    [undefined, "ERR_SPIFFE_ID_EMPTY"],
    [42, "ERR_SPIFFE_ID_EMPTY"],
    ["example.org/web", "ERR_SPIFFE_ID_WRONG_SCHEME"],
    ["https://example.org/web", "ERR_SPIFFE_ID_WRONG_SCHEME"],
    ["SPIFFE://example.org/web", "ERR_SPIFFE_ID_WRONG_SCHEME"],
    ["spiffe:/example.org/web", "ERR_SPIFFE_ID_WRONG_SCHEME"],
    ["spiffe:example.org", "ERR_SPIFFE_ID_WRONG_SCHEME"],
    [" spiffe://example.org/web", "ERR_SPIFFE_ID_WRONG_SCHEME"],
    ["spiffe://", "ERR_SPIFFE_ID_TRUST_DOMAIN_MISSING"],
    ["spiffe:///web", "ERR_SPIFFE_ID_TRUST_DOMAIN_MISSING"],
    ["spiffe://Example.org/web", "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"],
    ["spiffe://exa mple.org/web", "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"],
    ["spiffe://exämple.org/web", "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"],
    ["spiffe://[::1]/web", "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"],
    ["spiffe://user@example.org/web", "ERR_SPIFFE_ID_USERINFO"],
    ["spiffe://example.org:8080/web", "ERR_SPIFFE_ID_PORT"],
    ["spiffe://example.org/web?x=1", "ERR_SPIFFE_ID_QUERY_OR_FRAGMENT"],
    ["spiffe://example.org/web#frag", "ERR_SPIFFE_ID_QUERY_OR_FRAGMENT"],
    ["spiffe://example.org?x=1", "ERR_SPIFFE_ID_QUERY_OR_FRAGMENT"],
    ["spiffe://example.org#frag", "ERR_SPIFFE_ID_QUERY_OR_FRAGMENT"],
    ["spiffe://example%2eorg/web", "ERR_SPIFFE_ID_PERCENT_ENCODED"],
    ["spiffe://example.org/we%20b", "ERR_SPIFFE_ID_PERCENT_ENCODED"],
    ["spiffe://example.org/", "ERR_SPIFFE_ID_TRAILING_SLASH"],
    ["spiffe://example.org/web/", "ERR_SPIFFE_ID_TRAILING_SLASH"],
    ["spiffe://example.org//web", "ERR_SPIFFE_ID_EMPTY_SEGMENT"],
    ["spiffe://example.org/a//b", "ERR_SPIFFE_ID_EMPTY_SEGMENT"],
    ["spiffe://example.org/.", "ERR_SPIFFE_ID_DOT_SEGMENT"],
    ["spiffe://example.org/..", "ERR_SPIFFE_ID_DOT_SEGMENT"],
    ["spiffe://example.org/a/./b", "ERR_SPIFFE_ID_DOT_SEGMENT"],
    ["spiffe://example.org/a/../b", "ERR_SPIFFE_ID_DOT_SEGMENT"],
    ["spiffe://example.org/we b", "ERR_SPIFFE_ID_PATH_CHARS"],
    ["spiffe://example.org/wéb", "ERR_SPIFFE_ID_PATH_CHARS"],
    ["spiffe://example.org/a:b", "ERR_SPIFFE_ID_PATH_CHARS"],
    ["spiffe://example.org/a@b", "ERR_SPIFFE_ID_PATH_CHARS"],
    ["spiffe://example.org/a\\b", "ERR_SPIFFE_ID_PATH_CHARS"],
    [`spiffe://${"a".repeat(256)}/web`, "ERR_SPIFFE_ID_TRUST_DOMAIN_TOO_LONG"],
    [`spiffe://example.org/${"a".repeat(2048)}`, "ERR_SPIFFE_ID_TOO_LONG"],
  ];
  for (const [text, code] of invalid) {
    test(`${JSON.stringify(text)?.slice(0, 60)} → ${code}`, () => {
      expect(codeOf(() => SpiffeId.parse(text as string))).toBe(code);
      expect(SpiffeId.canParse(text as string)).toBe(false);
    });
  }

  test("the message names the rule and shows the expected form", () => {
    try {
      SpiffeId.parse("example.org/web");
      throw new Error("should have thrown");
    } catch (err) {
      expect(err).toBeInstanceOf(SpiffeIdError);
      expect((err as Error).message).toContain("spiffe://example.org/service");
      expect((err as Error).name).toBe("SpiffeIdError");
    }
  });

  test("huge input is rejected by length before any scan", () => {
    expect(codeOf(() => SpiffeId.parse(`spiffe://example.org/${"a/".repeat(5_000_000)}`))).toBe("ERR_SPIFFE_ID_TOO_LONG");
  });
});

describe("SpiffeId.fromPath / fromSegments", () => {
  test("builds from a trust domain and a path", () => {
    expect(SpiffeId.fromPath("example.org", "/web").toString()).toBe("spiffe://example.org/web");
    expect(SpiffeId.fromPath(TrustDomain.parse("example.org"), "").toString()).toBe("spiffe://example.org");
    expect(SpiffeId.fromSegments("example.org", "ns", "prod").toString()).toBe("spiffe://example.org/ns/prod");
    expect(SpiffeId.fromSegments("example.org").toString()).toBe("spiffe://example.org");
  });
  test("rejects invalid paths and segments with codes", () => {
    expect(codeOf(() => SpiffeId.fromPath("example.org", "web"))).toBe("ERR_SPIFFE_ID_PATH_NOT_ABSOLUTE");
    expect(codeOf(() => SpiffeId.fromPath("example.org", "/web/"))).toBe("ERR_SPIFFE_ID_TRAILING_SLASH");
    expect(codeOf(() => SpiffeId.fromPath("example.org", "/a/../b"))).toBe("ERR_SPIFFE_ID_DOT_SEGMENT");
    expect(codeOf(() => SpiffeId.fromPath("Example.org", "/web"))).toBe("ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS");
    expect(codeOf(() => SpiffeId.fromPath("example.org", "/a?b"))).toBe("ERR_SPIFFE_ID_QUERY_OR_FRAGMENT");
    expect(codeOf(() => SpiffeId.fromPath("example.org", undefined as unknown as string))).toBe("ERR_SPIFFE_ID_EMPTY");
    expect(codeOf(() => SpiffeId.fromSegments("example.org", "a/b"))).toBe("ERR_SPIFFE_ID_PATH_CHARS");
    expect(codeOf(() => SpiffeId.fromSegments("example.org", ""))).toBe("ERR_SPIFFE_ID_EMPTY_SEGMENT");
    expect(codeOf(() => SpiffeId.fromSegments("example.org", ".."))).toBe("ERR_SPIFFE_ID_DOT_SEGMENT");
    expect(codeOf(() => SpiffeId.fromPath("example.org", `/${"a".repeat(2048)}`))).toBe("ERR_SPIFFE_ID_TOO_LONG");
  });
});

describe("identity helpers", () => {
  const id = SpiffeId.parse("spiffe://example.org/ns/prod/sa/web");

  test("segments and trust domain ID", () => {
    expect(id.segments).toEqual(["ns", "prod", "sa", "web"]);
    expect(id.isTrustDomainId).toBe(false);
    expect(SpiffeId.parse("spiffe://example.org").segments).toEqual([]);
    expect(SpiffeId.parse("spiffe://example.org").isTrustDomainId).toBe(true);
  });

  test("equals compares IDs and strings exactly", () => {
    expect(id.equals(SpiffeId.parse("spiffe://example.org/ns/prod/sa/web"))).toBe(true);
    expect(id.equals("spiffe://example.org/ns/prod/sa/web")).toBe(true);
    expect(id.equals("spiffe://example.org/ns/prod/sa/WEB")).toBe(false); // paths are case-sensitive
    expect(id.equals("spiffe://example.org/ns/prod/sa")).toBe(false);
    expect(id.equals("spiffe://other.org/ns/prod/sa/web")).toBe(false);
  });

  test("memberOf matches the trust domain only", () => {
    expect(id.memberOf("example.org")).toBe(true);
    expect(id.memberOf(TrustDomain.parse("spiffe://example.org"))).toBe(true);
    expect(id.memberOf("example.com")).toBe(false);
    expect(id.memberOf("org")).toBe(false);
  });

  test("hasPathPrefix works on whole segments", () => {
    expect(id.hasPathPrefix("/ns/prod")).toBe(true);
    expect(id.hasPathPrefix("/ns/prod/")).toBe(true);
    expect(id.hasPathPrefix("/ns/prod/sa/web")).toBe(true);
    expect(id.hasPathPrefix("/")).toBe(true);
    expect(id.hasPathPrefix("/ns/pro")).toBe(false);
    expect(id.hasPathPrefix("/ns/prod/sa/web/x")).toBe(false);
    expect(id.hasPathPrefix("/prod")).toBe(false);
  });

  test("hasPathSuffix works on whole segments", () => {
    expect(id.hasPathSuffix("/web")).toBe(true);
    expect(id.hasPathSuffix("web")).toBe(true);
    expect(id.hasPathSuffix("/sa/web")).toBe(true);
    expect(id.hasPathSuffix("eb")).toBe(false);
    expect(id.hasPathSuffix("/ns/prod/sa/web")).toBe(true);
    expect(id.hasPathSuffix("/x/ns/prod/sa/web")).toBe(false);
  });
});

describe("TrustDomain", () => {
  test("parses a name or a SPIFFE ID", () => {
    expect(TrustDomain.parse("example.org").name).toBe("example.org");
    expect(TrustDomain.parse("spiffe://example.org").name).toBe("example.org");
    expect(TrustDomain.parse("spiffe://example.org/web").name).toBe("example.org");
    expect(TrustDomain.parse("example.org").idString()).toBe("spiffe://example.org");
    expect(String(TrustDomain.parse("example.org"))).toBe("example.org");
    expect(JSON.stringify(TrustDomain.parse("example.org"))).toBe('"example.org"');
    expect(TrustDomain.parse("example.org").equals("example.org")).toBe(true);
    expect(TrustDomain.parse("example.org").equals(TrustDomain.parse("example.com"))).toBe(false);
  });

  test("rejects each rule with its code", () => {
    const cases: Array<[unknown, SpiffeIdErrorCode]> = [
      ["", "ERR_SPIFFE_ID_EMPTY"],
      [null, "ERR_SPIFFE_ID_EMPTY"],
      ["Example.org", "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"],
      ["example.org/web", "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"],
      ["example.org:80", "ERR_SPIFFE_ID_PORT"],
      ["user@example.org", "ERR_SPIFFE_ID_USERINFO"],
      ["https://example.org", "ERR_SPIFFE_ID_WRONG_SCHEME"],
      ["spiffe://", "ERR_SPIFFE_ID_TRUST_DOMAIN_MISSING"],
      ["spiffe://example.org/", "ERR_SPIFFE_ID_TRAILING_SLASH"],
      ["spiffe://example.org:443", "ERR_SPIFFE_ID_PORT"],
      ["a".repeat(256), "ERR_SPIFFE_ID_TRUST_DOMAIN_TOO_LONG"],
      ["ex%41mple.org", "ERR_SPIFFE_ID_PERCENT_ENCODED"],
    ];
    for (const [input, code] of cases) {
      expect([input, codeOf(() => TrustDomain.parse(input as string))]).toEqual([input, code]);
      expect(TrustDomain.canParse(input as string)).toBe(false);
    }
    expect(TrustDomain.canParse("example.org")).toBe(true);
  });
});

describe("SpiffeId and TrustDomain are immutable values", () => {
  test("fields cannot be changed (identities are shared between connections and handlers)", () => {
    const id = SpiffeId.parse("spiffe://example.org/web");
    expect(Object.isFrozen(id)).toBe(true);
    expect(Object.isFrozen(id.trustDomain)).toBe(true);
    expect(() => {
      (id as { path: string }).path = "/admin";
    }).toThrow(TypeError);
    expect(id.toString()).toBe("spiffe://example.org/web");
    expect(id.hasPathPrefix("/admin")).toBe(false);
  });
});
