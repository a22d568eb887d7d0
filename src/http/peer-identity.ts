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
  /**
   * For `jwt-svid` received over SPIFFE mTLS: the identity of the connection the token came
   * over (the calling workload, verified by its X.509-SVID), which may differ from the
   * token's subject (e.g. a gateway forwarding a caller's token). Absent otherwise.
   */
  readonly transport?: PeerIdentity;
}

// The one store of verified identities: the SDK's TLS step binds the identity of each
// verified connection to its socket (and HTTP/2 session), and its servers and clients bind
// the same frozen object to the Web messages they make. Module-private, so application code
// can read identities (getPeerIdentity) but never write one; the testing entry's
// `withSpiffeId` and the JWT-SVID middleware go through bindPeerIdentity deliberately.
const identities = new WeakMap<object, PeerIdentity>();
/** The identities bindPeerIdentity froze (with their ID and chain): bound again as they are, with one lookup instead of three isFrozen checks. */
const sealed = new WeakSet<PeerIdentity>();

/**
 * @internal Binds a verified identity to a connection object or a message (the SDK's TLS step,
 * servers, clients, `requireJwtSvid` and the testing entry's `withSpiffeId` only).
 */
export function bindPeerIdentity(carrier: object, peer: PeerIdentity): void {
  if (sealed.has(peer)) return void identities.set(carrier, peer); // a connection's identity, bound to each of its messages
  // The SpiffeId (and its TrustDomain) is frozen too: it is shared beyond this identity (the
  // X.509 verifier's process-wide cache hands the same object to every later connection with
  // the same chain), so a handler writing `peer.id.path` would otherwise change the ID that
  // later connections are authorized with and later requests read.
  if (!Object.isFrozen(peer.id)) {
    Object.freeze(peer.id.trustDomain);
    Object.freeze(peer.id);
  }
  // One frozen identity per connection is shared by every message of it: no copy.
  const frozen = Object.isFrozen(peer) && Object.isFrozen(peer.certificates);
  const bound = frozen ? peer : Object.freeze({ ...peer, certificates: Object.freeze([...peer.certificates]) });
  sealed.add(bound);
  identities.set(carrier, bound);
}

/** @internal The identity bound to a connection object or message, if any. */
export function peerIdentityOf(carrier: object): PeerIdentity | undefined {
  return identities.get(carrier);
}

/** @internal Attaches a verified identity to a request or response (see {@link bindPeerIdentity}). */
export function attachPeerIdentity(message: Request | Response, peer: PeerIdentity): void {
  bindPeerIdentity(message, peer);
}

/**
 * The verified identity of the peer: for a `Request` received by `serveMtls`, the caller;
 * for a `Response` returned by an mTLS client, the server. `undefined` when the message did
 * not go through SPIFFE mTLS of this SDK (or `withSpiffeId`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export function getPeerIdentity(message: Request | Response): PeerIdentity | undefined {
  return typeof message === "object" && message !== null ? identities.get(message) : undefined;
}
