// Maps the `bun:test` API our tests use onto `node:test` + Jest's `expect`, so the one suite
// runs unchanged on Node (via register-bun-test.mjs) and Deno (via the deno.json import map).
// Only the Jest-compatible subset is covered: no mock/spyOn/snapshots/test.each.
import { after, before } from "node:test";

export { afterEach, beforeEach, describe, it, test } from "node:test";
export { expect } from "expect";

type Hook = () => unknown;
/** Bun's `beforeAll(fn, timeoutMs?)`. */
export const beforeAll = (fn: Hook, timeoutMs?: number): void => before(fn, timeoutMs === undefined ? {} : { timeout: timeoutMs });
/** Bun's `afterAll(fn, timeoutMs?)`. */
export const afterAll = (fn: Hook, timeoutMs?: number): void => after(fn, timeoutMs === undefined ? {} : { timeout: timeoutMs });
