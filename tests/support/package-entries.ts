// The package's entry points by public name, from deno.json's exports (the same list as
// package.json's, which the packaging test checks): "@spiffe-ts/sdk/node" → "src/adapters/node/mod.ts".
import { readFileSync } from "node:fs";

const root = new URL("../../", import.meta.url);
const { name, exports } = JSON.parse(readFileSync(new URL("deno.json", root), "utf8")) as { name: string; exports: Record<string, string> };

/** Public import name → source file relative to the repository root. */
export const packageEntries: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(exports).map(([key, file]) => [key === "." ? name : `${name}/${key.slice(2)}`, file.replace(/^\.\//, "")]),
);
