import { peerChainOf } from "../../tls/peer-chain.ts";
import type { RuntimeProfile } from "../shared/runtime-profile.ts";

/** Node.js: the reference implementation of the node:* APIs; nothing to work around. */
export const nodeProfile: RuntimeProfile = {
  name: "node",
  clientHttp2ByDefault: true,
  /** undici's Response copies a byte body and wraps it in a stream of its own: a ready one-chunk stream costs less (~3 µs per answer, read with .json()). */
  clientSmallBodies: "chunk",
  /**
   * getPeerCertificate(true). getPeerX509Certificate costs ~40% of it, but Node 24 (and 20) take
   * the intermediates out of the connection's chain while building its issuerCertificate
   * links: a second call, or getPeerCertificate(true) after it, sees the leaf alone (client:
   * nothing), so it would break every later reader of the socket.
   */
  readPeerChain: peerChainOf,
};
