import { beforeAll, describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../../support/rejection.ts";
import { authorizeAny, authorizeId } from "../../../../src/core/authz/authorizer.ts";
import { X509Bundle } from "../../../../src/core/bundle/x509-bundle.ts";
import { AuthorizationError } from "../../../../src/core/errors/authorization-error.ts";
import { X509SvidError } from "../../../../src/core/errors/x509-svid-error.ts";
import type { SpiffeId } from "../../../../src/core/spiffeid/spiffe-id.ts";
import { createX509PeerVerifier } from "../../../../src/core/svid/x509/x509-peer-verifier.ts";
import { breakSignature, createCa, issueLeaf, peerChain, type TestCa } from "../../../support/test-pki.ts";
import { rejectionOf } from "../../../support/rejection.ts";

const TD = "example.org";
const DAY = 24 * 3600_000;

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err instanceof X509SvidError || err instanceof AuthorizationError).toBe(true);
    expect((err as X509SvidError).code).toBe(code);
    return;
  }
  throw new Error(`expected a rejection with ${code}, but the chain was accepted`);
}

/** A bundle source whose bundle can be replaced, like an X509Source after an update. */
function mutableSource(bundle: X509Bundle): { getX509BundleForTrustDomain(): X509Bundle; bundle: X509Bundle } {
  return {
    bundle,
    getX509BundleForTrustDomain() {
      return this.bundle;
    },
  };
}

let root: TestCa;
let inter: TestCa;
let otherRoot: TestCa;

beforeAll(async () => {
  root = await createCa({ trustDomain: TD });
  inter = await createCa({ parent: root });
  otherRoot = await createCa({ trustDomain: TD });
});

/** A fresh chain (so no other test has cached it) and a bundle object trusting it. */
async function freshChain(): Promise<{ chain: Uint8Array[]; bundle: X509Bundle }> {
  const leaf = await issueLeaf(inter);
  return { chain: peerChain(leaf, inter), bundle: X509Bundle.parse(TD, root.pem) };
}

describe("createX509PeerVerifier cache", () => {
  test("a verification is reused by another verifier whose source holds the same bundle object", async () => {
    const { chain, bundle } = await freshChain();
    const a = await createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() })(chain);
    const b = await createX509PeerVerifier({ bundleSource: mutableSource(bundle), authorizer: authorizeAny() })(chain);
    expect(a.id.toString()).toBe("spiffe://example.org/workload");
    // The cached verification (its immutable SpiffeId object), in a result of its own.
    expect(b.id).toBe(a.id);
    expect(b).not.toBe(a);
    expect(b.verifiedChain).not.toBe(a.verifiedChain);
    expect(b.verifiedChain.every((der, i) => der !== a.verifiedChain[i])).toBe(true);
    expect(b.verifiedChain).toEqual(a.verifiedChain);
  });

  test("a different bundle object (even with the same authorities) verifies again", async () => {
    const { chain, bundle } = await freshChain();
    const a = await createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() })(chain);
    const b = await createX509PeerVerifier({ bundleSource: X509Bundle.parse(TD, root.pem), authorizer: authorizeAny() })(chain);
    expect(b.id).not.toBe(a.id); // a new verification
    expect(b.id.toString()).toBe(a.id.toString());
  });

  test("rejects ERR_X509_SVID_UNTRUSTED for a bundle that does not trust the chain, though another verifier cached it", async () => {
    const { chain, bundle } = await freshChain();
    await createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() })(chain);
    const other = createX509PeerVerifier({ bundleSource: X509Bundle.parse(TD, otherRoot.pem), authorizer: authorizeAny() });
    await rejects(other(chain), "ERR_X509_SVID_UNTRUSTED");
  });

  test("rejects ERR_X509_SVID_UNTRUSTED after the source's bundle is updated to one without the root", async () => {
    const { chain, bundle } = await freshChain();
    const source = mutableSource(bundle);
    const verify = createX509PeerVerifier({ bundleSource: source, authorizer: authorizeAny() });
    await verify(chain);
    source.bundle = X509Bundle.parse(TD, otherRoot.pem);
    await rejects(verify(chain), "ERR_X509_SVID_UNTRUSTED");
  });

  test("rejects ERR_X509_SVID_EXPIRED once the clock is past the chain's validity, though it was cached", async () => {
    const { chain, bundle } = await freshChain();
    let now = new Date();
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny(), now: () => now });
    await verify(chain);
    now = new Date(Date.now() + 2 * DAY);
    await rejects(verify(chain), "ERR_X509_SVID_EXPIRED");
    // another verifier with its own (later) clock does not get the cached result either
    await rejects(createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny(), now: () => now })(chain), "ERR_X509_SVID_EXPIRED");
  });

  test("the authorizer runs on every call, cached or not (ERR_AUTHZ_UNEXPECTED_ID)", async () => {
    const { chain, bundle } = await freshChain();
    const seen: string[] = [];
    const counting = (id: SpiffeId): void => void seen.push(id.toString());
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer: counting });
    await verify(chain);
    await verify(chain);
    expect(seen).toEqual(["spiffe://example.org/workload", "spiffe://example.org/workload"]);
    const strict = createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeId("spiffe://example.org/other") });
    await rejects(strict(chain), "ERR_AUTHZ_UNEXPECTED_ID");
  });

  test("a chain that differs in one byte is not served from the cache (ERR_X509_SVID_UNTRUSTED)", async () => {
    const { chain, bundle } = await freshChain();
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() });
    await verify(chain);
    await rejects(verify([breakSignature(chain[0]!), ...chain.slice(1)]), "ERR_X509_SVID_UNTRUSTED");
  });

  test("cacheSize: 0 verifies every time", async () => {
    const { chain, bundle } = await freshChain();
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny(), cacheSize: 0 });
    const a = await verify(chain);
    expect((await verify(chain)).id).not.toBe(a.id);
  });

  test("rejects ERR_X509_SVID_EMPTY for an empty chain and ERR_X509_SVID_CERTIFICATE for garbage", async () => {
    const { bundle } = await freshChain();
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() });
    await rejects(verify([]), "ERR_X509_SVID_EMPTY");
    await rejects(verify([new Uint8Array([1, 2, 3])]), "ERR_X509_SVID_CERTIFICATE");
  });

  test("a bundle update landing during the verification: the next call is refused (ERR_X509_SVID_UNTRUSTED)", async () => {
    const { chain, bundle } = await freshChain();
    const without = X509Bundle.parse(TD, otherRoot.pem); // the update: the chain's root removed
    // Hands out the bundle it holds, and the update lands (in a microtask) while the
    // verification that got the old bundle is still running.
    let updated = false;
    const source = {
      bundle,
      getX509BundleForTrustDomain(): X509Bundle {
        const held = this.bundle;
        if (!updated) {
          queueMicrotask(() => {
            this.bundle = without;
            updated = true;
          });
        }
        return held;
      },
    };
    const verify = createX509PeerVerifier({ bundleSource: source, authorizer: authorizeAny() });
    const first = verify(chain);
    expect(updated).toBe(false);
    const a = await first; // verified against the bundle the source held when it was asked
    expect(a.id.toString()).toBe("spiffe://example.org/workload");
    expect(updated).toBe(true); // the update landed before the verification settled
    expect(source.bundle).toBe(without);
    await rejects(verify(chain), "ERR_X509_SVID_UNTRUSTED");
    // Nor does any other verifier whose source holds the updated bundle get the entry.
    await rejects(createX509PeerVerifier({ bundleSource: mutableSource(without), authorizer: authorizeAny() })(chain), "ERR_X509_SVID_UNTRUSTED");
  });

  test("the entry names the bundle the chain was verified against, not the one held afterwards", async () => {
    const { chain, bundle } = await freshChain();
    const updatedBundle = X509Bundle.parse(TD, root.pem); // same authorities, another object
    const source = mutableSource(bundle);
    const verify = createX509PeerVerifier({ bundleSource: source, authorizer: authorizeAny() });
    const pending = verify(chain);
    source.bundle = updatedBundle; // lands after the lookup, before the verification settles
    const a = await pending;
    // A verifier holding the bundle actually used is served the entry...
    const b = await createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() })(chain);
    expect(b.id).toBe(a.id);
    // ...one holding the bundle that arrived during the verification verifies in full.
    const c = await createX509PeerVerifier({ bundleSource: updatedBundle, authorizer: authorizeAny() })(chain);
    expect(c.id).not.toBe(a.id);
  });

  test("another verifier sharing the cache is not served the entry when its source has no bundle, throws or is malformed", async () => {
    const { chain, bundle } = await freshChain();
    await createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() })(chain);
    const none = createX509PeerVerifier({ bundleSource: { getX509BundleForTrustDomain: () => undefined }, authorizer: authorizeAny() });
    await rejects(none(chain), "ERR_X509_SVID_NO_BUNDLE");
    const boom = new Error("source closed");
    const throwing = createX509PeerVerifier({
      bundleSource: {
        getX509BundleForTrustDomain: () => {
          throw boom;
        },
      },
      authorizer: authorizeAny(),
    });
    const err = await rejectionOf(throwing(chain), X509SvidError);
    expect(err.code).toBe("ERR_X509_SVID_NO_BUNDLE");
    expect(err.cause).toBe(boom); // the source's error, not a wrapper of a wrapper
    const malformed = createX509PeerVerifier({ bundleSource: {} as unknown as X509Bundle, authorizer: authorizeAny() });
    await expectInvalidArgument(malformed(chain), "bundleSource");
  });

  test("each caller gets its own verifiedChain: mutating one caller's bytes changes nothing for the next caller or the authorizer", async () => {
    const { chain, bundle } = await freshChain();
    const seen: Uint8Array[][] = [];
    // The authorizer gets the caller's chain; the first one scribbles over it.
    const authorizer = (_id: SpiffeId, verifiedChain: readonly Uint8Array[]): void => {
      seen.push(verifiedChain.map((der) => der.slice()));
      if (seen.length === 1) for (const der of verifiedChain) der.fill(0xaa, 0, 16);
    };
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer });
    const a = await verify(chain); // a miss
    const original = seen[0]!;
    expect(original.length).toBe(3);
    expect(original[0]).toEqual(chain[0]);
    expect(a.verifiedChain[0]!.subarray(0, 16).every((b) => b === 0xaa)).toBe(true); // the caller's own copy
    for (const der of a.verifiedChain) der.fill(0);
    const b = await verify(chain); // a hit
    expect(b.id).toBe(a.id);
    expect(seen[1]).toEqual(original);
    expect(b.verifiedChain).toEqual(original);
    b.verifiedChain[2]![0]! ^= 0xff;
    const c = await createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() })(chain); // a hit, another verifier
    expect(c.verifiedChain).toEqual(original);
    for (const peer of [a, b, c]) {
      expect(Object.isFrozen(peer)).toBe(true);
      expect(Object.isFrozen(peer.verifiedChain)).toBe(true);
    }
  });

  test("the caller's input chain can be reused and mutated after a call without affecting the entry", async () => {
    const { chain, bundle } = await freshChain();
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() });
    const input = chain.map((der) => der.slice());
    const a = await verify(input);
    input[1]!.fill(0);
    const b = await verify(chain);
    expect(b.id).toBe(a.id);
    expect(b.verifiedChain[1]).toEqual(chain[1]);
  });

  describe("validity window of a cached entry", () => {
    const MINUTE = 60_000;
    const secondsFloor = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

    test("a hit is refused after the earliest notAfter of the chain (the intermediate's) and before the latest notBefore (the intermediate's)", async () => {
      const t0 = secondsFloor(Date.now()).getTime();
      // The intermediate bounds the chain on both sides: the leaf (now - 1 h .. now + 24 h)
      // and the root (now - 24 h .. now + 240 h) are valid around both of its edges.
      const notBefore = new Date(t0 - 10 * MINUTE);
      const notAfter = new Date(t0 + 120 * MINUTE);
      const narrow = await createCa({ parent: root, notBefore, notAfter });
      const leaf = await issueLeaf(narrow);
      const chain = [leaf.der, narrow.der];
      let now = new Date(t0);
      const verify = createX509PeerVerifier({ bundleSource: X509Bundle.parse(TD, root.pem), authorizer: authorizeAny(), now: () => now });
      const a = await verify(chain);
      now = notAfter; // the last valid moment: served from the cache
      expect((await verify(chain)).id).toBe(a.id);
      now = notBefore; // the first valid moment: served from the cache
      expect((await verify(chain)).id).toBe(a.id);
      now = new Date(notAfter.getTime() + 1);
      await rejects(verify(chain), "ERR_X509_SVID_EXPIRED");
      now = new Date(notBefore.getTime() - 1);
      await rejects(verify(chain), "ERR_X509_SVID_NOT_YET_VALID");
      now = new Date(t0); // the entry itself is still good inside the window
      expect((await verify(chain)).id).toBe(a.id);
    });

    test("a hit is refused after the bundle root's notAfter when the root expires first", async () => {
      const t0 = secondsFloor(Date.now()).getTime();
      const notAfter = new Date(t0 + 30 * MINUTE);
      const shortRoot = await createCa({ trustDomain: TD, notAfter });
      const shortInter = await createCa({ parent: shortRoot });
      const leaf = await issueLeaf(shortInter);
      let now = new Date(t0);
      const verify = createX509PeerVerifier({ bundleSource: X509Bundle.parse(TD, shortRoot.pem), authorizer: authorizeAny(), now: () => now });
      const chain = peerChain(leaf, shortInter);
      const a = await verify(chain);
      now = notAfter;
      expect((await verify(chain)).id).toBe(a.id);
      now = new Date(notAfter.getTime() + 1);
      await rejects(verify(chain), "ERR_X509_SVID_EXPIRED");
    });
  });
});
