import type { Authorizer } from "../../authz/authorizer.ts";
import type { X509Bundle } from "../../bundle/x509-bundle.ts";
import { resolveX509Bundle, type X509BundleSource, type X509BundleSourceLike } from "../../bundle/x509-bundle-source.ts";
import { bytesDigest } from "../../lib/bytes-digest.ts";
import { readCertificateCached } from "../../lib/certificate-cache.ts";
import type { SpiffeId } from "../../spiffeid/spiffe-id.ts";
import type { TrustDomain } from "../../spiffeid/trust-domain.ts";
import { verifyX509Svid } from "./verify-x509-svid.ts";

/** What an {@link X509PeerVerifier} returns for an accepted peer. */
export interface VerifiedPeer {
  /** The peer's verified SPIFFE ID. */
  readonly id: SpiffeId;
  /** The verified chain, DER, leaf first, ending at the bundle root that anchored it. */
  readonly verifiedChain: readonly Uint8Array[];
}

/** Options of {@link createX509PeerVerifier}. */
export interface X509PeerVerifierOptions {
  /** Where the bundle of the peer's trust domain comes from (a source, bundle set or bundle). */
  readonly bundleSource: X509BundleSourceLike;
  /** Who may connect; runs on every call, never cached. */
  readonly authorizer: Authorizer;
  /** Clock, for tests. Default `() => new Date()`. */
  readonly now?: () => Date;
  /**
   * 0 disables the verification cache for this verifier. Any other value (the default)
   * uses the process-wide cache of successful verifications that all verifiers share
   * (LRU, at most 1024 chains; see {@link createX509PeerVerifier}).
   */
  readonly cacheSize?: number;
}

/**
 * Verifies a peer's chain (as sent in the TLS handshake, leaf first) as an X.509-SVID
 * with `verifyX509Svid`, then authorizes its ID. Throws `X509SvidError` or
 * `AuthorizationError`.
 */
export type X509PeerVerifier = (chain: readonly Uint8Array[]) => Promise<VerifiedPeer>;

interface CacheEntry {
  /** The cache's own copy of the chain as presented: a hit needs these exact bytes. */
  readonly presented: readonly Uint8Array[];
  /** The verified SPIFFE ID (immutable, shared by every hit). */
  readonly id: SpiffeId;
  /** The cache's own copy of the verified chain: never handed out, each hit gets fresh copies. */
  readonly verifiedChain: readonly Uint8Array[];
  /**
   * The bundle the chain was ACTUALLY verified against (recorded when the verification looked
   * it up, before any await): the entry serves only a source that still returns this very
   * object for the peer's trust domain.
   */
  readonly bundle: X509Bundle;
  /** The latest notBefore of the verified chain (ms since epoch). */
  readonly validFrom: number;
  /** The earliest notAfter of the verified chain (ms since epoch). */
  readonly validUntil: number;
}

/** Successful verifications kept process-wide (LRU). */
const CACHE_ENTRIES = 1024;
/** Chains larger than this are verified every time (a real SVID chain is a few KiB). */
const MAX_CACHED_CHAIN_BYTES = 32 * 1024;
/**
 * Shared by all verifiers: a fresh client (or server) meeting a peer whose chain another
 * verifier of this process verified against the same bundle object skips the path
 * building and signature checks. An entry is a pure function of (chain bytes, bundle
 * object, time): it is used only when the caller's source returns, for the peer's trust
 * domain, the bundle object the chain was verified against, and the caller's `now` is inside
 * every certificate's validity window.
 */
const cache = new Map<number, CacheEntry>();

/**
 * Builds the verifier that TLS adapters run once per connection. Successful chain
 * verifications are cached by the exact chain bytes and the bundle object they were
 * verified against, in one cache shared by all verifiers of the process: an entry is used
 * only while the verifier's source returns that same bundle for the peer's trust domain and
 * `now` is inside every certificate's validity window, so a bundle update (even one that
 * lands while a verification is running) or an expiry takes effect on the next connection.
 * Every call, served from the cache or not, returns its own copy of the verified chain. The
 * authorizer runs on every call.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { authorizeMemberOf, createX509PeerVerifier } from "@spiffe-ts/sdk";
 * const verify = createX509PeerVerifier({ bundleSource: source, authorizer: authorizeMemberOf("example.org") });
 * const { id } = await verify(peerChainDer);
 * ```
 */
export function createX509PeerVerifier(options: X509PeerVerifierOptions): X509PeerVerifier {
  const { bundleSource, authorizer } = options;
  const now = options.now ?? (() => new Date());
  const cached = (options.cacheSize ?? CACHE_ENTRIES) !== 0;

  return async (chain) => {
    const at = now();
    const key = cached ? chainDigest(chain) : undefined;
    const hit = key !== undefined ? cache.get(key) : undefined;
    if (key !== undefined && hit && sameChain(hit.presented, chain)) {
      const t = at.getTime();
      if (t >= hit.validFrom && t <= hit.validUntil && currentBundle(bundleSource, hit.id.trustDomain) === hit.bundle) {
        cache.delete(key); // refresh LRU position
        cache.set(key, hit);
        const peer = frozenPeer(hit.id, hit.verifiedChain);
        await authorizer(peer.id, peer.verifiedChain);
        return peer;
      }
      // Another bundle (an update, or another verifier's source) or outside the window:
      // verify in full; a success replaces the entry.
    }
    const snapshot = new BundleSnapshot(bundleSource);
    let verified: { id: SpiffeId; verifiedChain: Uint8Array[] };
    try {
      verified = await verifyX509Svid(chain, snapshot, { now: at });
    } catch (err) {
      // The source's own error (no bundle, a source that throws or has the wrong shape), not
      // the one verifyX509Svid made of the snapshot's "no bundle".
      throw snapshot.error ?? err;
    }
    const { id, verifiedChain } = verified;
    if (key !== undefined) {
      const bundle = snapshot.bundleFor(id.trustDomain);
      const window = validityWindow(verifiedChain);
      if (bundle && window) {
        cache.delete(key);
        cache.set(key, { presented: copyChain(chain), id, verifiedChain: copyChain(verifiedChain), bundle, ...window });
        if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      }
    }
    const peer = frozenPeer(id, verifiedChain);
    await authorizer(peer.id, peer.verifiedChain);
    return peer;
  };
}

/**
 * The bundle source one verification sees: it looks the caller's source up once, records the
 * bundle object it returned, and hands that same object to every later lookup of the
 * verification, so the cache entry names exactly the bundle the chain was verified against
 * (an update landing in the source meanwhile is not mistaken for it). A failed lookup is kept
 * (to rethrow as is) and reported as "no bundle".
 */
class BundleSnapshot implements X509BundleSource {
  readonly #source: X509BundleSourceLike;
  #trustDomain: TrustDomain | undefined;
  #bundle: X509Bundle | undefined;
  /** True once lookups asked for more than one trust domain (then nothing is cached). */
  #mixed = false;
  /** The error of the source's lookup, if it failed. */
  error: unknown;

  constructor(source: X509BundleSourceLike) {
    this.#source = source;
  }

  getX509BundleForTrustDomain(trustDomain: TrustDomain): X509Bundle | undefined {
    if (this.#trustDomain !== undefined) {
      if (this.#trustDomain.equals(trustDomain)) return this.#bundle;
      this.#mixed = true;
    } else {
      this.#trustDomain = trustDomain;
    }
    try {
      const bundle = resolveX509Bundle(this.#source, trustDomain);
      if (!this.#mixed) this.#bundle = bundle;
      return bundle;
    } catch (err) {
      this.error ??= err;
      return undefined;
    }
  }

  /** The bundle recorded for `trustDomain`, if it was the only one looked up and was found. */
  bundleFor(trustDomain: TrustDomain): X509Bundle | undefined {
    return !this.#mixed && this.#trustDomain?.equals(trustDomain) ? this.#bundle : undefined;
  }
}

/** A frozen result with fresh copies of the chain's bytes, owned by the caller. */
function frozenPeer(id: SpiffeId, verifiedChain: readonly Uint8Array[]): VerifiedPeer {
  return Object.freeze({ id, verifiedChain: Object.freeze(copyChain(verifiedChain)) });
}

function copyChain(chain: readonly Uint8Array[]): Uint8Array[] {
  return chain.map((der) => der.slice());
}

/** The bundle the source holds now for `trustDomain`, or undefined (never throws). */
function currentBundle(source: X509BundleSourceLike, trustDomain: TrustDomain): X509Bundle | undefined {
  try {
    return resolveX509Bundle(source, trustDomain);
  } catch {
    return undefined;
  }
}

/**
 * A digest of the chain bytes for the cache's map ({@link bytesDigest} over every certificate):
 * cheap, and only an index — a hit also needs the exact bytes ({@link sameChain}), so a
 * collision costs a full verification, never a wrong answer. undefined (not cached) for input
 * that is not an array of byte arrays, or too large.
 */
function chainDigest(chain: readonly Uint8Array[]): number | undefined {
  if (!Array.isArray(chain)) return undefined;
  let total = 0;
  for (const c of chain) {
    if (!(c instanceof Uint8Array)) return undefined;
    total += c.byteLength + 4;
  }
  if (total === 0 || total > MAX_CACHED_CHAIN_BYTES) return undefined;
  return bytesDigest(chain);
}

/** Whether `chain` is byte for byte the chain the entry was made for. */
function sameChain(presented: readonly Uint8Array[], chain: readonly Uint8Array[]): boolean {
  if (presented.length !== chain.length) return false;
  for (let i = 0; i < chain.length; i++) {
    const p = presented[i]!;
    const c = chain[i]!;
    if (p.byteLength !== c.byteLength) return false;
    for (let j = 0; j < c.byteLength; j++) if (p[j] !== c[j]) return false;
  }
  return true;
}

/** The intersection of the validity windows of the verified chain (ms since epoch). */
function validityWindow(chain: readonly Uint8Array[]): { validFrom: number; validUntil: number } | undefined {
  let validFrom = -Infinity;
  let validUntil = Infinity;
  for (const der of chain) {
    const info = readCertificateCached(der); // parsed moments ago by verifyX509Svid
    if (typeof info === "string") return undefined;
    validFrom = Math.max(validFrom, info.notBefore.getTime());
    validUntil = Math.min(validUntil, info.notAfter.getTime());
  }
  return { validFrom, validUntil };
}
