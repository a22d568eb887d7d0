import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";

/** How the caller's identity was established. */
export type AuthenticationMechanism = "x509-svid" | "jwt-svid" | "test";

/**
 * The verified identity of the caller of a request: set by the SDK's servers after the
 * peer's SVID was verified (or by `withSpiffeId` in unit tests). This is the transport
 * identity — the truth about who is calling — never something read from a request header.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface PeerIdentity {
  /** The caller's verified SPIFFE ID. */
  readonly id: SpiffeId;
  /** Which mechanism authenticated the caller. */
  readonly mechanism: AuthenticationMechanism;
  /** For `x509-svid`: the peer's verified chain, DER, leaf first. Empty otherwise. */
  readonly certificates: readonly Uint8Array[];
}

// One registry per process, shared by every copy of the package (npm + JSR, two versions),
// created on first use rather than at import time.
const REGISTRY = Symbol.for("@spiffe-ts/sdk/peer-identities");

function registry(): WeakMap<Request | Response, PeerIdentity> {
  const g = globalThis as { [REGISTRY]?: WeakMap<Request | Response, PeerIdentity> };
  return (g[REGISTRY] ??= new WeakMap());
}

/** @internal Attaches a verified identity to a request or response (servers, clients and `withSpiffeId` only). */
export function attachPeerIdentity(message: Request | Response, peer: PeerIdentity): void {
  // The adapters attach one frozen identity per connection to every message: share it, no copy.
  const frozen = Object.isFrozen(peer) && Object.isFrozen(peer.certificates);
  registry().set(message, frozen ? peer : Object.freeze({ ...peer, certificates: Object.freeze([...peer.certificates]) }));
}

/**
 * The verified identity of the peer: for a `Request` received by `serveMtls`, the caller;
 * for a `Response` returned by an mTLS client, the server. `undefined` when the message did
 * not go through SPIFFE mTLS of this SDK (or `withSpiffeId`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export function getPeerIdentity(message: Request | Response): PeerIdentity | undefined {
  return registry().get(message);
}
