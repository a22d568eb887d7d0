import type { RuntimeProfile } from "../shared/runtime-profile.ts";
import { peerChainFromSession } from "./session-peer-chain.ts";

/**
 * Bun: its node:tls/node:http2 do what the SDK needs (its node:https server does not, and the
 * SDK never uses it for servers). Known: Bun's TLS server stalls some handshakes under many
 * concurrent Bun clients (docs/troubleshooting.md); nothing in the SDK can avoid it.
 */
export const bunProfile: RuntimeProfile = {
  name: "bun",
  clientHttp2ByDefault: true,
  /** Bun's Response holds a byte body as it is (no Web stream unless `body` is read): half the cost of a stream. */
  clientSmallBodies: "bytes",
  /**
   * From the connection's BoringSSL session: ~5-10 µs per handshake where getPeerCertificate(true)
   * costs ~70-100 µs (it decodes every certificate with three fingerprints), measured per fresh
   * connection on each end (bench/.scratch probe, Bun 1.4.5); the same as-sent chain.
   */
  readPeerChain: peerChainFromSession,
  /**
   * Bun 1.4 answers `import "undici"` (and `require`) with a built-in stand-in, not the npm
   * package: its `Client`/`Agent` never call a `connect` function, so no connection could be
   * verified; and Bun's global `fetch` ignores `dispatcher`.
   */
  undiciDispatcherUnsupported:
    'Bun replaces the "undici" module with a built-in stand-in whose Agent and Client never call a custom connect, and its fetch ignores `dispatcher`, so no undici connection can be SPIFFE-verified on Bun: use createMtlsClient, or createSpiffeAgent with node:https, axios or got',
};
