import { beforeAll, describe, expect, test } from "bun:test";
import { expectInvalidArgument } from "../../../support/rejection.ts";
import { BundleSet } from "../../../../src/core/bundle/bundle-set.ts";
import { X509Bundle } from "../../../../src/core/bundle/x509-bundle.ts";
import { X509SvidError } from "../../../../src/core/errors/x509-svid-error.ts";
import type { TrustDomain } from "../../../../src/core/spiffeid/trust-domain.ts";
import { verifyX509Svid } from "../../../../src/core/svid/x509/verify-x509-svid.ts";
import {
  breakSignature,
  concatBytes,
  createCa,
  generateKey,
  issueLeaf,
  peerChain,
  type TestCa,
  type TestCert,
  uriNameConstraints,
} from "../../../support/test-pki.ts";

const TD = "example.org";
const HOUR = 3600_000;

async function rejects(promise: Promise<unknown>, code: string): Promise<X509SvidError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(X509SvidError);
    expect((err as X509SvidError).code).toBe(code);
    return err as X509SvidError;
  }
  throw new Error(`expected a rejection with ${code}, but the chain was accepted`);
}

function same(a: readonly Uint8Array[], b: readonly Uint8Array[]): void {
  expect(a.map((x) => Array.from(x).join())).toEqual(b.map((x) => Array.from(x).join()));
}

let root: TestCa;
let inter: TestCa;
let leaf: TestCert;
let bundle: X509Bundle;
let otherRoot: TestCa; // same trust domain name, not in the bundle
let otherInter: TestCa;

beforeAll(async () => {
  root = await createCa({ trustDomain: TD });
  inter = await createCa({ parent: root });
  leaf = await issueLeaf(inter);
  bundle = X509Bundle.parse(TD, root.pem);
  otherRoot = await createCa({ trustDomain: TD });
  otherInter = await createCa({ parent: otherRoot });
});

describe("verifyX509Svid accepts", () => {
  test("leaf → intermediate → bundle root, as an array of DER", async () => {
    const { id, verifiedChain } = await verifyX509Svid(peerChain(leaf, inter), bundle);
    expect(id.toString()).toBe("spiffe://example.org/workload");
    same(verifiedChain, [leaf.der, inter.der, root.der]);
  });

  test("PEM text and concatenated DER", async () => {
    expect((await verifyX509Svid(leaf.pem + inter.pem, bundle)).id.path).toBe("/workload");
    expect((await verifyX509Svid(concatBytes(leaf.der, inter.der), bundle)).verifiedChain.length).toBe(3);
  });

  test("a leaf issued directly by the root", async () => {
    const direct = await issueLeaf(root, { uriSans: ["spiffe://example.org/direct"] });
    const { id, verifiedChain } = await verifyX509Svid([direct.der], bundle);
    expect(id.path).toBe("/direct");
    same(verifiedChain, [direct.der, root.der]);
  });

  test("two intermediates, sent in any order", async () => {
    const i2 = await createCa({ parent: inter });
    const deep = await issueLeaf(i2);
    same((await verifyX509Svid([deep.der, i2.der, inter.der], bundle)).verifiedChain, [deep.der, i2.der, inter.der, root.der]);
    same((await verifyX509Svid([deep.der, inter.der, i2.der], bundle)).verifiedChain, [deep.der, i2.der, inter.der, root.der]);
  });

  test("extra, duplicate and unrelated certificates are ignored; a peer-sent root is not duplicated", async () => {
    const unrelated = await createCa({ trustDomain: "other.org" });
    const chain = [leaf.der, otherInter.der, inter.der, inter.der, leaf.der, unrelated.der, otherRoot.der, root.der];
    same((await verifyX509Svid(chain, bundle)).verifiedChain, [leaf.der, inter.der, root.der]);
  });

  test("extra DNS SANs", async () => {
    const withDns = await issueLeaf(inter, { dnsSans: ["web.example.org", "localhost"] });
    expect((await verifyX509Svid(peerChain(withDns, inter), bundle)).id.path).toBe("/workload");
  });

  test("an empty subject with a critical URI SAN", async () => {
    const empty = await issueLeaf(inter, { emptySubject: true });
    expect((await verifyX509Svid(peerChain(empty, inter), bundle)).id.toString()).toBe("spiffe://example.org/workload");
  });

  test("EC P-384 and RSA-2048 chains, and mixed algorithms", async () => {
    for (const [caAlg, leafAlg] of [
      ["P-384", "P-384"],
      ["RSA-2048", "RSA-2048"],
      ["RSA-2048", "P-256"],
      ["P-256", "RSA-2048"],
    ] as const) {
      const r = await createCa({ keyAlg: caAlg, key: caAlg === "RSA-2048" ? await generateKey(caAlg, { cacheAs: "verify-root" }) : undefined });
      const i = await createCa({ parent: r, keyAlg: caAlg });
      const l = await issueLeaf(i, { keyAlg: leafAlg, key: leafAlg === "RSA-2048" ? await generateKey(leafAlg, { cacheAs: "verify-leaf" }) : undefined });
      const { verifiedChain } = await verifyX509Svid(peerChain(l, i), X509Bundle.parse(TD, r.pem));
      same(verifiedChain, [l.der, i.der, r.der]);
    }
  });

  test("a bundle with several authorities", async () => {
    const many = X509Bundle.fromCertificates(TD, [otherRoot.der, root.der]);
    expect((await verifyX509Svid(peerChain(leaf, inter), many)).verifiedChain.length).toBe(3);
  });

  test("pathLenConstraints that are respected", async () => {
    const r = await createCa({ pathLen: 1 });
    const i = await createCa({ parent: r, pathLen: 0 });
    const l = await issueLeaf(i);
    expect((await verifyX509Svid(peerChain(l, i), X509Bundle.parse(TD, r.pem))).verifiedChain.length).toBe(3);
  });

  test("URI name constraints that permit the trust domain", async () => {
    const i = await createCa({ parent: root, extraExtensions: [uriNameConstraints([TD])] });
    const l = await issueLeaf(i);
    expect((await verifyX509Svid(peerChain(l, i), bundle)).id.path).toBe("/workload");
  });

  test("validity windows are inclusive at both ends", async () => {
    await verifyX509Svid(peerChain(leaf, inter), bundle, { now: leaf.notBefore });
    await verifyX509Svid(peerChain(leaf, inter), bundle, { now: leaf.notAfter });
  });

  test("bundle sources: X509BundleSource, getForTrustDomain → X509Bundle or SpiffeBundle-like, BundleSet", async () => {
    const chain = peerChain(leaf, inter);
    const seen: string[] = [];
    const custom = {
      getX509BundleForTrustDomain: (td: TrustDomain) => {
        seen.push(td.name);
        return td.name === TD ? bundle : undefined;
      },
    };
    expect((await verifyX509Svid(chain, custom)).id.path).toBe("/workload");
    expect(seen).toEqual([TD]);
    expect((await verifyX509Svid(chain, { getForTrustDomain: () => bundle })).id.path).toBe("/workload");
    const spiffeBundleLike = { getX509BundleForTrustDomain: (td: TrustDomain) => bundle.getX509BundleForTrustDomain(td) };
    expect((await verifyX509Svid(chain, { getForTrustDomain: () => spiffeBundleLike })).id.path).toBe("/workload");
    const set = new BundleSet([bundle, X509Bundle.parse("other.org", otherRoot.pem)]);
    expect((await verifyX509Svid(chain, set)).id.path).toBe("/workload");
  });
});

describe("verifyX509Svid rejects the leaf", () => {
  test("without a URI SAN", async () => {
    const l = await issueLeaf(inter, { uriSans: [], dnsSans: ["web.example.org"] });
    await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_NO_URI_SAN");
  });

  test("with two URI SANs", async () => {
    const l = await issueLeaf(inter, { uriSans: ["spiffe://example.org/a", "spiffe://example.org/b"] });
    await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_MULTIPLE_URI_SANS");
  });

  test("whose URI SAN is not a valid SPIFFE ID", async () => {
    for (const uri of ["https://example.org/web", "spiffe://Example.org/web", "spiffe://example.org/a//b", "spiffe://example.org/web/"]) {
      const l = await issueLeaf(inter, { uriSans: [uri] });
      const err = await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_INVALID_SPIFFE_ID");
      expect(err.cause).toBeDefined();
    }
  });

  test("whose SPIFFE ID has no path", async () => {
    const l = await issueLeaf(inter, { uriSans: ["spiffe://example.org"] });
    await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_NO_PATH");
  });

  test("that is a CA", async () => {
    const l = await issueLeaf(inter, { isCa: true });
    await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_LEAF_IS_CA");
  });

  test("with keyCertSign", async () => {
    const l = await issueLeaf(inter, { keyUsage: { digitalSignature: true, keyCertSign: true } });
    await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_LEAF_KEY_CERT_SIGN");
  });

  test("with cRLSign", async () => {
    const l = await issueLeaf(inter, { keyUsage: { digitalSignature: true, cRLSign: true } });
    await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_LEAF_CRL_SIGN");
  });

  test("with an unknown critical extension (a non-critical one is fine)", async () => {
    const l = await issueLeaf(inter, { extraCriticalExtension: "1.3.6.1.4.1.99999.1" });
    const err = await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION");
    expect(err.message).toContain("1.3.6.1.4.1.99999.1");
  });

  test("that is expired or not yet valid", async () => {
    await rejects(verifyX509Svid(peerChain(leaf, inter), bundle, { now: new Date(leaf.notAfter.getTime() + 1) }), "ERR_X509_SVID_EXPIRED");
    await rejects(verifyX509Svid(peerChain(leaf, inter), bundle, { now: new Date(leaf.notBefore.getTime() - 1) }), "ERR_X509_SVID_NOT_YET_VALID");
    const expired = await issueLeaf(inter, { notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) });
    await rejects(verifyX509Svid(peerChain(expired, inter), bundle), "ERR_X509_SVID_EXPIRED");
  });
});

describe("verifyX509Svid rejects the chain", () => {
  test("of a leaf signed by an unknown CA, even when sent with a valid intermediate (leaf must be what pkijs validates)", async () => {
    const stranger = await issueLeaf(otherInter);
    await rejects(verifyX509Svid([stranger.der, inter.der], bundle), "ERR_X509_SVID_UNTRUSTED");
    await rejects(verifyX509Svid([stranger.der, inter.der, root.der], bundle), "ERR_X509_SVID_UNTRUSTED");
    await rejects(verifyX509Svid([stranger.der, otherInter.der, inter.der], bundle), "ERR_X509_SVID_UNTRUSTED");
  });

  test("that ends in a root the peer sent itself (peer roots are never trust anchors)", async () => {
    const stranger = await issueLeaf(otherInter);
    await rejects(verifyX509Svid([stranger.der, otherInter.der, otherRoot.der], bundle), "ERR_X509_SVID_UNTRUSTED");
    const selfRoot = await createCa({ trustDomain: TD });
    const selfLeaf = await issueLeaf(selfRoot);
    await rejects(verifyX509Svid([selfLeaf.der, selfRoot.der], bundle), "ERR_X509_SVID_UNTRUSTED");
  });

  test("with a missing intermediate", async () => {
    await rejects(verifyX509Svid([leaf.der], bundle), "ERR_X509_SVID_UNTRUSTED");
  });

  test("with a broken signature on the leaf or the intermediate", async () => {
    await rejects(verifyX509Svid([breakSignature(leaf.der), inter.der], bundle), "ERR_X509_SVID_UNTRUSTED");
    await rejects(verifyX509Svid([leaf.der, breakSignature(inter.der)], bundle), "ERR_X509_SVID_UNTRUSTED");
  });

  test("with an intermediate that has the right issuer name but another key's signature", async () => {
    const forged = await createCa({ parent: root, signer: { ...otherRoot, subject: root.subject } as TestCa });
    const l = await issueLeaf(forged);
    await rejects(verifyX509Svid(peerChain(l, forged), bundle), "ERR_X509_SVID_UNTRUSTED");
  });

  test("signed with SHA-1", async () => {
    const l = await issueLeaf(inter, { hash: "SHA-1" });
    const err = await rejects(verifyX509Svid(peerChain(l, inter), bundle), "ERR_X509_SVID_SIGNATURE_ALGORITHM");
    expect(err.message).toContain("SHA-1");
  });

  test("against an empty bundle", async () => {
    await rejects(verifyX509Svid(peerChain(leaf, inter), X509Bundle.fromCertificates(TD, [])), "ERR_X509_SVID_UNTRUSTED");
  });

  test("whose leaf is itself a bundle authority", async () => {
    await rejects(verifyX509Svid([leaf.der], X509Bundle.fromCertificates(TD, [leaf.der, root.der])), "ERR_X509_SVID_UNTRUSTED");
  });

  test("with an expired, or not yet valid, intermediate", async () => {
    const old = await createCa({ parent: root, notBefore: new Date(Date.now() - 10 * HOUR), notAfter: new Date(Date.now() - 2 * HOUR) });
    const l = await issueLeaf(old);
    const err = await rejects(verifyX509Svid(peerChain(l, old), bundle), "ERR_X509_SVID_EXPIRED");
    expect(err.message).toContain("intermediate");
    const future = await createCa({ parent: root, notBefore: new Date(Date.now() + 2 * HOUR), notAfter: new Date(Date.now() + 10 * HOUR) });
    const l2 = await issueLeaf(future);
    await rejects(verifyX509Svid(peerChain(l2, future), bundle), "ERR_X509_SVID_NOT_YET_VALID");
  });

  test("with an expired, or not yet valid, bundle root", async () => {
    const r = await createCa({ notBefore: new Date(Date.now() - 10 * HOUR), notAfter: new Date(Date.now() - 2 * HOUR) });
    const l = await issueLeaf(r);
    const err = await rejects(verifyX509Svid([l.der], X509Bundle.parse(TD, r.pem)), "ERR_X509_SVID_EXPIRED");
    expect(err.message).toContain("bundle authority");
    const r2 = await createCa({ notBefore: new Date(Date.now() + 2 * HOUR), notAfter: new Date(Date.now() + 10 * HOUR) });
    const l2 = await issueLeaf(r2);
    await rejects(verifyX509Svid([l2.der], X509Bundle.parse(TD, r2.pem)), "ERR_X509_SVID_NOT_YET_VALID");
  });

  test("with an intermediate that is not a CA, or a CA without keyCertSign", async () => {
    const notCa = await createCa({ parent: root, isCa: false, keyUsage: { digitalSignature: true } });
    await rejects(verifyX509Svid(peerChain(await issueLeaf(notCa), notCa), bundle), "ERR_X509_SVID_INTERMEDIATE_NOT_CA");
    const noBc = await createCa({ parent: root, isCa: null, keyUsage: { digitalSignature: true } });
    await rejects(verifyX509Svid(peerChain(await issueLeaf(noBc), noBc), bundle), "ERR_X509_SVID_INTERMEDIATE_NOT_CA");
    const noKcs = await createCa({ parent: root, keyUsage: { digitalSignature: true, cRLSign: true } });
    await rejects(verifyX509Svid(peerChain(await issueLeaf(noKcs), noKcs), bundle), "ERR_X509_SVID_INTERMEDIATE_NOT_CA");
  });

  test("with an intermediate that has an unknown critical extension", async () => {
    const i = await createCa({ parent: root, extraCriticalExtension: "1.3.6.1.4.1.99999.2" });
    await rejects(verifyX509Svid(peerChain(await issueLeaf(i), i), bundle), "ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION");
  });

  test("that breaks a pathLenConstraint (root or intermediate)", async () => {
    const r = await createCa({ pathLen: 0 });
    const i = await createCa({ parent: r });
    await rejects(verifyX509Svid(peerChain(await issueLeaf(i), i), X509Bundle.parse(TD, r.pem)), "ERR_X509_SVID_PATH_LENGTH");
    const r2 = await createCa({});
    const i1 = await createCa({ parent: r2, pathLen: 0 });
    const i2 = await createCa({ parent: i1 });
    const l = await issueLeaf(i2);
    await rejects(verifyX509Svid(peerChain(l, i2), X509Bundle.parse(TD, r2.pem)), "ERR_X509_SVID_PATH_LENGTH");
  });

  test("that breaks a URI name constraint", async () => {
    const i = await createCa({ parent: root, extraExtensions: [uriNameConstraints(["other.org"])] });
    await rejects(verifyX509Svid(peerChain(await issueLeaf(i), i), bundle), "ERR_X509_SVID_NAME_CONSTRAINTS");
  });

  test("that loops (A issued by B, B issued by A) without hanging", async () => {
    const keyA = await generateKey("P-256");
    const a0 = await createCa({ key: keyA, commonName: "loop A" });
    const b = await createCa({ commonName: "loop B", signer: a0 });
    const a = await createCa({ key: keyA, commonName: "loop A", signer: b });
    const l = await issueLeaf(a);
    // A path never visits a certificate twice, so the loop ends the search: no path reaches the bundle.
    await rejects(verifyX509Svid([l.der, a.der, b.der], bundle), "ERR_X509_SVID_UNTRUSTED");
  });
});

describe("verifyX509Svid uses only the bundle of the leaf's trust domain", () => {
  test("no bundle for the trust domain", async () => {
    const err = await rejects(verifyX509Svid(peerChain(leaf, inter), X509Bundle.parse("other.org", root.pem)), "ERR_X509_SVID_NO_BUNDLE");
    expect(err.message).toContain("example.org");
    await rejects(verifyX509Svid(peerChain(leaf, inter), { getX509BundleForTrustDomain: () => undefined }), "ERR_X509_SVID_NO_BUNDLE");
    await rejects(verifyX509Svid(peerChain(leaf, inter), { getForTrustDomain: () => undefined }), "ERR_X509_SVID_NO_BUNDLE");
    await rejects(verifyX509Svid(peerChain(leaf, inter), new BundleSet([X509Bundle.parse("other.org", root.pem)])), "ERR_X509_SVID_NO_BUNDLE");
  });

  test("a root trusted for another trust domain does not count", async () => {
    const otherTdLeaf = await issueLeaf(inter, { uriSans: ["spiffe://other.org/web"] });
    const set = new BundleSet([bundle, X509Bundle.parse("other.org", otherRoot.pem)]);
    await rejects(verifyX509Svid(peerChain(otherTdLeaf, inter), set), "ERR_X509_SVID_UNTRUSTED");
  });

  test("a source that returns another trust domain's bundle", async () => {
    const otherTdLeaf = await issueLeaf(inter, { uriSans: ["spiffe://other.org/web"] });
    const liar = { getX509BundleForTrustDomain: () => bundle };
    const err = await rejects(verifyX509Svid(peerChain(otherTdLeaf, inter), liar), "ERR_X509_SVID_NO_BUNDLE");
    expect(err.message).toContain("other.org");
  });

  test("a source that throws, or returns something else", async () => {
    const boom = new Error("backend down");
    const err = await rejects(verifyX509Svid(peerChain(leaf, inter), { getX509BundleForTrustDomain: () => { throw boom; } }), "ERR_X509_SVID_NO_BUNDLE");
    expect(err.cause).toBe(boom);
    const wrong = { getX509BundleForTrustDomain: () => ({ authorities: [root.der] }) as unknown as X509Bundle };
    await rejects(verifyX509Svid(peerChain(leaf, inter), wrong), "ERR_X509_SVID_NO_BUNDLE");
    const async = { getX509BundleForTrustDomain: () => Promise.resolve(bundle) as unknown as X509Bundle };
    await rejects(verifyX509Svid(peerChain(leaf, inter), async), "ERR_X509_SVID_NO_BUNDLE");
  });

  test("an object that is no bundle source", async () => {
    await expectInvalidArgument(verifyX509Svid(peerChain(leaf, inter), {} as unknown as X509Bundle), "bundleSource");
    await expectInvalidArgument(verifyX509Svid(peerChain(leaf, inter), null as unknown as X509Bundle), "bundleSource");
  });
});

describe("verifyX509Svid rejects malformed input", () => {
  test("empty input", async () => {
    await rejects(verifyX509Svid([], bundle), "ERR_X509_SVID_EMPTY");
    await rejects(verifyX509Svid("", bundle), "ERR_X509_SVID_EMPTY");
    await rejects(verifyX509Svid(new Uint8Array(0), bundle), "ERR_X509_SVID_EMPTY");
  });

  test("text that is not PEM, or PEM with other blocks", async () => {
    await rejects(verifyX509Svid("hello", bundle), "ERR_X509_SVID_PEM");
    await rejects(verifyX509Svid(leaf.pem + leaf.privateKeyPem, bundle), "ERR_X509_SVID_PEM");
    await rejects(verifyX509Svid("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", bundle), "ERR_X509_SVID_PEM");
  });

  test("bytes that are not certificates, and wrong types", async () => {
    await rejects(verifyX509Svid(new Uint8Array([1, 2, 3]), bundle), "ERR_X509_SVID_CERTIFICATE");
    await rejects(verifyX509Svid(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), bundle), "ERR_X509_SVID_CERTIFICATE");
    await rejects(verifyX509Svid(leaf.der.subarray(0, leaf.der.length - 5), bundle), "ERR_X509_SVID_CERTIFICATE");
    await rejects(verifyX509Svid([leaf.der, "inter" as unknown as Uint8Array], bundle), "ERR_X509_SVID_CERTIFICATE");
    await rejects(verifyX509Svid(42 as unknown as Uint8Array, bundle), "ERR_X509_SVID_CERTIFICATE");
    await rejects(verifyX509Svid(undefined as unknown as Uint8Array, bundle), "ERR_X509_SVID_CERTIFICATE");
  });

  test("more than 8 certificates", async () => {
    const many = Array.from({ length: 9 }, () => inter.der);
    await rejects(verifyX509Svid([leaf.der, ...many.slice(1)], bundle), "ERR_X509_SVID_CHAIN_TOO_LONG");
    await rejects(verifyX509Svid(leaf.pem + many.slice(1).map(() => inter.pem).join(""), bundle), "ERR_X509_SVID_CHAIN_TOO_LONG");
  });

  test("more than 1 MiB", async () => {
    await rejects(verifyX509Svid(new Uint8Array(1024 * 1024 + 1), bundle), "ERR_X509_SVID_TOO_LARGE");
    await rejects(verifyX509Svid("x".repeat(1024 * 1024 + 1), bundle), "ERR_X509_SVID_TOO_LARGE");
  });

  test("an invalid clock", async () => {
    await expectInvalidArgument(verifyX509Svid(peerChain(leaf, inter), bundle, { now: new Date(Number.NaN) }), "options.now");
    await expectInvalidArgument(verifyX509Svid(peerChain(leaf, inter), bundle, { now: 5 as unknown as Date }), "options.now");
  });

  test("the input arrays are copied: mutating them later changes nothing", async () => {
    const chain = peerChain(leaf, inter).map((c) => c.slice());
    const { verifiedChain } = await verifyX509Svid(chain, bundle);
    chain[0]!.fill(0);
    verifiedChain[1]!.fill(0);
    same((await verifyX509Svid(peerChain(leaf, inter), bundle)).verifiedChain, [leaf.der, inter.der, root.der]);
  });

  test("the input is read before the first await: zeroing it while the verification runs changes nothing (never-seen and repeated leaf, arrays and concatenated DER)", async () => {
    const fresh = await issueLeaf(inter, { uriSans: ["spiffe://example.org/never-seen"] });
    for (const l of [fresh, fresh, leaf]) {
      const chain = peerChain(l, inter).map((c) => c.slice());
      const running = verifyX509Svid(chain, bundle);
      for (const c of chain) c.fill(0);
      same((await running).verifiedChain, [l.der, inter.der, root.der]);
      const concatenated = concatBytes(l.der, inter.der);
      const runningConcatenated = verifyX509Svid(concatenated, bundle);
      concatenated.fill(0);
      same((await runningConcatenated).verifiedChain, [l.der, inter.der, root.der]);
    }
  });
});
