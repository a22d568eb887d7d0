import { beforeAll, describe, expect, test } from "bun:test";
import { authorizeAny, authorizeId } from "../../../../src/core/authz/authorizer.ts";
import { X509Bundle } from "../../../../src/core/bundle/x509-bundle.ts";
import { AuthorizationError } from "../../../../src/core/errors/authorization-error.ts";
import { X509SvidError } from "../../../../src/core/errors/x509-svid-error.ts";
import type { SpiffeId } from "../../../../src/core/spiffeid/spiffe-id.ts";
import { createX509PeerVerifier } from "../../../../src/core/svid/x509/x509-peer-verifier.ts";
import { breakSignature, createCa, issueLeaf, peerChain, type TestCa } from "../../../support/test-pki.ts";

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
    expect(b).toBe(a); // the cached result, not a new verification
  });

  test("a different bundle object (even with the same authorities) verifies again", async () => {
    const { chain, bundle } = await freshChain();
    const a = await createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() })(chain);
    const b = await createX509PeerVerifier({ bundleSource: X509Bundle.parse(TD, root.pem), authorizer: authorizeAny() })(chain);
    expect(b).not.toBe(a);
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
    expect(await verify(chain)).not.toBe(a);
  });

  test("rejects ERR_X509_SVID_EMPTY for an empty chain and ERR_X509_SVID_CERTIFICATE for garbage", async () => {
    const { bundle } = await freshChain();
    const verify = createX509PeerVerifier({ bundleSource: bundle, authorizer: authorizeAny() });
    await rejects(verify([]), "ERR_X509_SVID_EMPTY");
    await rejects(verify([new Uint8Array([1, 2, 3])]), "ERR_X509_SVID_CERTIFICATE");
  });
});
