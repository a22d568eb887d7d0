// `@spiffe-ts/sdk/config` loads its optional peer dependencies (valibot, yaml) on first use:
// a missing one is a typed MissingDependencyError naming the package, on every runtime.
import { describe, expect, test } from "bun:test";
import { importOptional } from "../../src/core/lib/optional-dependency.ts";
import { MissingDependencyError } from "../../src/config/mod.ts";
import { SpiffeError } from "../../mod.ts";

const missing = "spiffe-ts-package-that-is-not-installed";

describe("importOptional", () => {
  test("a package that is not installed becomes MissingDependencyError naming it and how to install it", async () => {
    let caught: unknown;
    try {
      await importOptional(() => import(missing), `${missing}@^1.2.0`, "loadConfig (@spiffe-ts/sdk/config)");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MissingDependencyError);
    expect(caught).toBeInstanceOf(SpiffeError);
    const error = caught as MissingDependencyError;
    expect({ code: error.code, dependency: error.dependency }).toEqual({ code: "ERR_MISSING_DEPENDENCY", dependency: missing });
    expect(error.message).toBe(`loadConfig (@spiffe-ts/sdk/config) needs the package "${missing}", which is not installed: npm install ${missing}@^1.2.0 (Deno: deno add npm:${missing}@^1.2.0)`);
    expect(error.cause).toBeInstanceOf(Error);
  });

  test("any other failure while loading passes through unchanged", async () => {
    const boom = new TypeError(`'${missing}' exploded at load time`);
    let caught: unknown;
    try {
      await importOptional(() => Promise.reject(boom), missing, "feature");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(boom);
  });

  test("an installed package loads", async () => {
    const yaml = await importOptional(() => import("yaml"), "yaml@^2.9.1", "feature");
    expect(typeof yaml.parseDocument).toBe("function");
  });
});
