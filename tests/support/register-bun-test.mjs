// Node module hook: resolve `bun:test` to our shim (see bun-test-shim.ts). Used as
// `node --import ./tests/support/register-bun-test.mjs --test ...` on Node >= 22.6 (type stripping).
import * as mod from "node:module";

const shim = new URL("./bun-test-shim.ts", import.meta.url).href;
mod.registerHooks({
  resolve: (specifier, context, next) => next(specifier === "bun:test" ? shim : specifier, context),
});
