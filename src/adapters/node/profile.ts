import type { RuntimeProfile } from "../shared/runtime-profile.ts";

/** Node.js: the reference implementation of the node:* APIs; nothing to work around. */
export const nodeProfile: RuntimeProfile = {
  name: "node",
  clientHttp2ByDefault: true,
  /** undici's Response copies a byte body and wraps it in a stream of its own: a ready one-chunk stream costs less (~3 µs per answer, read with .json()). */
  clientSmallBodies: "chunk",
};
