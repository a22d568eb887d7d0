import { describe, expect, test } from "bun:test";
import { AuthorizationError, BundleError, SpiffeError, SpiffeId, SpiffeIdError, X509SvidError } from "../../../mod.ts";

describe("SpiffeError", () => {
  test("subclasses carry a stable code, their name and a cause", () => {
    const cause = new Error("inner");
    const err = new BundleError("ERR_BUNDLE_PEM", "bad pem", { cause });
    expect(err.code).toBe("ERR_BUNDLE_PEM");
    expect(err.name).toBe("BundleError");
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(SpiffeError);
    expect(err).toBeInstanceOf(BundleError);
    expect(err instanceof X509SvidError).toBe(false);
    expect(err instanceof SpiffeIdError).toBe(false);
  });

  test("instanceof works across two copies of the package (brand, not prototype)", () => {
    // A structurally separate class hierarchy with the same names, as a second copy of the
    // package (npm + JSR, or two versions) would have.
    const KINDS = Symbol.for("@spiffe-ts/sdk/error-kinds");
    class ForeignSpiffeError extends Error {
      get [KINDS](): string[] {
        return ["SpiffeIdError", "SpiffeError"];
      }
    }
    const foreign = new ForeignSpiffeError("x");
    expect(foreign instanceof SpiffeError).toBe(true);
    expect(foreign instanceof SpiffeIdError).toBe(true);
    expect(foreign instanceof BundleError).toBe(false);
    expect(new Error("plain") instanceof SpiffeError).toBe(false);
    expect((null as unknown) instanceof SpiffeError).toBe(false);
    expect(("ERR" as unknown) instanceof SpiffeError).toBe(false);
  });

  test("AuthorizationError names the refused peer", () => {
    const id = SpiffeId.parse("spiffe://example.org/x");
    const err = new AuthorizationError("ERR_AUTHZ_DENIED", id, "no");
    expect(err.peerId).toBe(id);
    expect(err).toBeInstanceOf(SpiffeError);
  });
});
