import type { RuntimeProfile } from "../shared/runtime-profile.ts";

/**
 * Bun: its node:tls/node:http2 do what the SDK needs (its node:https server does not, and the
 * SDK never uses it for servers). Known: Bun's TLS server stalls some handshakes under many
 * concurrent Bun clients (docs/troubleshooting.md); nothing in the SDK can avoid it.
 */
export const bunProfile: RuntimeProfile = { name: "bun", clientHttp2ByDefault: true, clientBuffersSmallBodies: true };
