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

function registry(): WeakMap<Request, PeerIdentity> {
  const g = globalThis as { [REGISTRY]?: WeakMap<Request, PeerIdentity> };
  return (g[REGISTRY] ??= new WeakMap());
}

/** @internal Attaches a verified identity to a request (servers and `withSpiffeId` only). */
export function attachPeerIdentity(request: Request, peer: PeerIdentity): void {
  registry().set(request, Object.freeze({ ...peer, certificates: Object.freeze([...peer.certificates]) }));
}

/**
 * The verified identity of the caller, or `undefined` when the request did not come
 * through a SPIFFE server of this SDK (or `withSpiffeId`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export function getPeerIdentity(request: Request): PeerIdentity | undefined {
  return registry().get(request);
}
