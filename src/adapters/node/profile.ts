import type { RuntimeProfile } from "../shared/runtime-profile.ts";

/** Node.js: the reference implementation of the node:* APIs; nothing to work around. */
export const nodeProfile: RuntimeProfile = { name: "node", clientHttp2ByDefault: true, clientBuffersSmallBodies: true };
