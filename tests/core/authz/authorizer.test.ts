import { describe, expect, test } from "bun:test";
import {
  adaptMatcher,
  AuthorizationError,
  type AuthorizationErrorCode,
  authorizeAny,
  authorizeId,
  authorizeMemberOf,
  authorizeOneOf,
  type Authorizer,
  SpiffeId,
  SpiffeIdError,
} from "../../../mod.ts";

const web = SpiffeId.parse("spiffe://example.org/web");
const api = SpiffeId.parse("spiffe://example.org/api");
const foreign = SpiffeId.parse("spiffe://other.org/web");

async function decision(authorizer: Authorizer, id: SpiffeId): Promise<"allowed" | AuthorizationErrorCode> {
  try {
    await authorizer(id, []);
    return "allowed";
  } catch (err) {
    if (!(err instanceof AuthorizationError)) throw err;
    expect(err.peerId.equals(id)).toBe(true);
    return err.code;
  }
}

describe("authorizers", () => {
  test("authorizeAny allows every verified ID", async () => {
    expect(await decision(authorizeAny(), web)).toBe("allowed");
    expect(await decision(authorizeAny(), foreign)).toBe("allowed");
  });

  test("authorizeId allows exactly one ID", async () => {
    expect(await decision(authorizeId("spiffe://example.org/web"), web)).toBe("allowed");
    expect(await decision(authorizeId(web), api)).toBe("ERR_AUTHZ_UNEXPECTED_ID");
    expect(await decision(authorizeId(web), foreign)).toBe("ERR_AUTHZ_UNEXPECTED_ID");
  });

  test("authorizeOneOf allows the listed IDs only", async () => {
    const authz = authorizeOneOf("spiffe://example.org/web", api);
    expect(await decision(authz, web)).toBe("allowed");
    expect(await decision(authz, api)).toBe("allowed");
    expect(await decision(authz, foreign)).toBe("ERR_AUTHZ_UNEXPECTED_ID");
    expect(await decision(authorizeOneOf(), web)).toBe("ERR_AUTHZ_UNEXPECTED_ID");
  });

  test("authorizeMemberOf allows one trust domain", async () => {
    expect(await decision(authorizeMemberOf("example.org"), web)).toBe("allowed");
    expect(await decision(authorizeMemberOf("spiffe://example.org"), api)).toBe("allowed");
    expect(await decision(authorizeMemberOf("example.org"), foreign)).toBe("ERR_AUTHZ_TRUST_DOMAIN");
  });

  test("adaptMatcher allows on true, refuses on false, non-boolean or throw", async () => {
    expect(await decision(adaptMatcher((id) => id.hasPathPrefix("/web")), web)).toBe("allowed");
    expect(await decision(adaptMatcher(async (id) => id.memberOf("example.org")), api)).toBe("allowed");
    expect(await decision(adaptMatcher(() => false), web)).toBe("ERR_AUTHZ_DENIED");
    expect(await decision(adaptMatcher(() => "yes" as unknown as boolean), web)).toBe("ERR_AUTHZ_DENIED");
    const cause = new Error("lookup failed");
    try {
      await adaptMatcher(() => {
        throw cause;
      })(web, []);
      throw new Error("should have thrown");
    } catch (err) {
      expect(err).toBeInstanceOf(AuthorizationError);
      expect((err as AuthorizationError).cause).toBe(cause);
    }
  });

  test("invalid configuration fails at creation, not per request", () => {
    expect(() => authorizeId("spiffe://Example.org/web")).toThrow(SpiffeIdError);
    expect(() => authorizeOneOf("not-an-id")).toThrow(SpiffeIdError);
    expect(() => authorizeMemberOf("bad domain")).toThrow(SpiffeIdError);
  });

  test("messages name the refused and the expected IDs", async () => {
    try {
      await authorizeId(web)(api, []);
      throw new Error("should have thrown");
    } catch (err) {
      expect((err as Error).message).toContain("spiffe://example.org/api");
      expect((err as Error).message).toContain("spiffe://example.org/web");
    }
  });
});
