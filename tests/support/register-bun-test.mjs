// Node module hook: resolve `bun:test` to our shim (see bun-test-shim.ts), and the package's own
// name to its sources (register-package-source.mjs: tests importing an example in-process run
// the code under test, as on Bun and Deno). Used as
// `node --import ./tests/support/register-bun-test.mjs --test ...` on Node >= 22.6 (type stripping).
import * as mod from "node:module";
import "./register-package-source.mjs";

const shim = new URL("./bun-test-shim.ts", import.meta.url).href;
mod.registerHooks({
  resolve: (specifier, context, next) => next(specifier === "bun:test" ? shim : specifier, context),
});
