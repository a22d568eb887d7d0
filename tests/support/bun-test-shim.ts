// Maps the `bun:test` API our tests use onto `node:test` + Jest's `expect`, so the one suite
// runs unchanged on Node (via register-bun-test.mjs) and Deno (via the deno.json import map).
// Only the Jest-compatible subset is covered: no mock/spyOn/snapshots/test.each.
export { afterEach, beforeEach, describe, it, test } from "node:test";
export { after as afterAll, before as beforeAll } from "node:test";
export { expect } from "expect";
