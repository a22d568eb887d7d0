// The one post-handshake step of every SPIFFE connection: read the peer's chain from the
// TLS socket, verify it as an X.509-SVID and authorize its ID (the core decides), then bind
// the frozen identity to the socket in the SDK's one identity store. Internal to src/tls.
import type { TLSSocket } from "node:tls";
import { X509SvidError } from "../core/errors/x509-svid-error.ts";
import type { X509PeerVerifier } from "../core/svid/x509/x509-peer-verifier.ts";
import { bindPeerIdentity, type PeerIdentity } from "../http/peer-identity.ts";
import type { SpiffeTlsMode } from "../http/tls-mode.ts";
import { observeHandshake } from "../observability/handshake-events.ts";
import type { PeerChainReader } from "./peer-chain.ts";

/**
 * Verifies the peer of a socket whose handshake just completed (its chain read with
 * `readPeerChain`) and binds its identity (reported to the registered trace hooks, see
 * addSpiffeTrace).
 *
 * @throws {X509SvidError} `ERR_X509_SVID_EMPTY` when the peer sent no certificate; the
 *   verifier's `X509SvidError` or `AuthorizationError` when it is refused.
 */
export function verifyPeerOf(socket: TLSSocket, verify: X509PeerVerifier, readPeerChain: PeerChainReader, peerRole: "client" | "server", mode: SpiffeTlsMode): Promise<PeerIdentity> {
  return observeHandshake(socket, peerRole === "client" ? "server" : "client", mode, () => verifyAndBind(socket, verify, readPeerChain, peerRole));
}

async function verifyAndBind(socket: TLSSocket, verify: X509PeerVerifier, readPeerChain: PeerChainReader, peerRole: "client" | "server"): Promise<PeerIdentity> {
  const chain = readPeerChain(socket);
  if (chain.length === 0) throw new X509SvidError("ERR_X509_SVID_EMPTY", `the ${peerRole} presented no certificate; SPIFFE mTLS needs its X.509-SVID`);
  const verified = await verify(chain);
  const identity: PeerIdentity = Object.freeze({ id: verified.id, mechanism: "x509-svid", certificates: Object.freeze([...verified.verifiedChain]) });
  bindPeerIdentity(socket, identity);
  return identity;
}
