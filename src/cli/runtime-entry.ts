// The runtime entry the CLI runs on (@spiffe-ts/sdk/node, /bun or /deno): the CLI is an
// application of the SDK and, like one, takes the entry of its runtime, so its proxies get
// that runtime's fixes.
import * as bun from "../adapters/bun/mod.ts";
import * as deno from "../adapters/deno/mod.ts";
import * as node from "../adapters/node/mod.ts";

const g = globalThis as { Deno?: unknown; Bun?: unknown };

/** The entry of the runtime running the CLI. */
export const runtimeEntry: typeof node = g.Deno !== undefined ? deno : g.Bun !== undefined ? bun : node;
