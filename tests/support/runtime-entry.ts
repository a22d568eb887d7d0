// The runtime a test runs on, and that runtime's own adapter entry (@spiffe-ts/sdk/node, /bun
// or /deno), so suites exercise exactly what a user of that runtime imports.
import * as bunEntry from "../../src/adapters/bun/mod.ts";
import * as denoEntry from "../../src/adapters/deno/mod.ts";
import * as nodeEntry from "../../src/adapters/node/mod.ts";

/** `"bun"`, `"deno"` or `"node"`. */
export const runtime: "bun" | "deno" | "node" = (globalThis as { Deno?: unknown }).Deno ? "deno" : (globalThis as { Bun?: unknown }).Bun ? "bun" : "node";

/** The adapter entry of {@link runtime}. */
export const runtimeEntry: typeof nodeEntry = runtime === "deno" ? denoEntry : runtime === "bun" ? bunEntry : nodeEntry;
