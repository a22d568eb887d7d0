// Node module hook: resolve the package's own name (`@spiffe-ts/sdk`, `@spiffe-ts/sdk/node`, …)
// to this checkout's TypeScript sources instead of the built dist/ that package.json's exports
// name, so tests run the examples against the code under test. Used as
// `node --import ./tests/support/register-package-source.mjs examples/…` (Node >= 22.18).
// Bun reads the same mapping from tsconfig.json `paths`; Deno from deno.json's name and exports.
import { readFileSync } from "node:fs";
import * as mod from "node:module";

const root = new URL("../../", import.meta.url);
const { name, exports } = JSON.parse(readFileSync(new URL("deno.json", root), "utf8"));
const sources = new Map(Object.entries(exports).map(([key, file]) => [key === "." ? name : `${name}/${key.slice(2)}`, new URL(file, root).href]));

mod.registerHooks({
  resolve: (specifier, context, next) => {
    const source = sources.get(specifier);
    return source ? { url: source, format: "module-typescript", shortCircuit: true } : next(specifier, context);
  },
});
