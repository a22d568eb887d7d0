// Two copies of the SDK in one program (two versions installed side by side): bundles,
// trust domains and SPIFFE IDs made by the other copy are accepted by this one's verifiers
// (re-built from their public data and checked again), where `instanceof` would refuse them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BundleSet, JwtSvid, JwtSvidError, verifyX509Svid, X509Bundle, X509SvidError } from "../../../mod.ts";
import { createTestCa, type TestCa } from "../../../src/testing/mod.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const AUD = "spiffe://example.org/api";
let dir: string;
let other: typeof import("../../../mod.ts");
let ca: TestCa;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-copy-"));
  for (const part of ["mod.ts", "src", "gen"]) cpSync(join(root, part), join(dir, part), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  other = (await import(pathToFileURL(join(dir, "mod.ts")).href)) as typeof import("../../../mod.ts");
  ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (err) {
    return err instanceof X509SvidError || err instanceof JwtSvidError ? err.code : `unexpected ${String(err)}`;
  }
}

describe("objects of another copy of the SDK", () => {
  test("are really of another copy: instanceof fails", () => {
    expect(other.X509Bundle).not.toBe(X509Bundle);
    expect(other.X509Bundle.parse("example.org", ca.x509Bundle.toPem())).not.toBeInstanceOf(X509Bundle);
  });

  test("verifyX509Svid accepts an X509Bundle of the other copy, directly, in a source and in its BundleSet", async () => {
    const peer = await ca.issueX509Svid({ id: "spiffe://example.org/peer" });
    const foreign = other.X509Bundle.parse("example.org", ca.x509Bundle.toPem());
    expect((await verifyX509Svid(peer.certificates, foreign)).id.toString()).toBe("spiffe://example.org/peer");
    expect((await verifyX509Svid(peer.certificates, { getX509BundleForTrustDomain: () => foreign })).id.toString()).toBe("spiffe://example.org/peer");
    expect((await verifyX509Svid(peer.certificates, new other.BundleSet([foreign]))).id.toString()).toBe("spiffe://example.org/peer");
    // and the other way round
    expect((await other.verifyX509Svid(peer.certificates, ca.x509Bundle)).id.toString()).toBe("spiffe://example.org/peer");
  });

  test("the re-built bundle is checked like any: another CA's chain, another trust domain, a malformed lookalike are refused", async () => {
    const stranger = await createTestCa({ trustDomain: "example.org" });
    const peer = await stranger.issueX509Svid({ id: "spiffe://example.org/peer" });
    expect(await code(verifyX509Svid(peer.certificates, other.X509Bundle.parse("example.org", ca.x509Bundle.toPem())))).toBe("ERR_X509_SVID_UNTRUSTED");
    const ours = await ca.issueX509Svid({ id: "spiffe://example.org/peer" });
    const elsewhere = other.X509Bundle.parse("other.org", ca.x509Bundle.toPem());
    expect(await code(verifyX509Svid(ours.certificates, { getX509BundleForTrustDomain: () => elsewhere }))).toBe("ERR_X509_SVID_NO_BUNDLE");
    const lookalike = { trustDomain: other.TrustDomain.parse("example.org"), authorities: [new Uint8Array([1, 2, 3])], hasAuthority: () => true };
    expect(await code(verifyX509Svid(ours.certificates, { getX509BundleForTrustDomain: () => lookalike as unknown as X509Bundle }))).toBe("ERR_X509_SVID_NO_BUNDLE");
  });

  test("JwtSvid.parseAndValidate accepts a JwtBundle of the other copy; a tampered token is still refused", async () => {
    const jwt = await ca.issueJwtSvid({ id: "spiffe://example.org/caller", audience: AUD });
    const foreign = other.JwtBundle.parse("example.org", ca.jwksJson());
    expect((await JwtSvid.parseAndValidate(jwt.token, foreign, AUD)).id.toString()).toBe("spiffe://example.org/caller");
    const [h, p, s] = jwt.token.split(".");
    expect(await code(JwtSvid.parseAndValidate(`${h}.${p}.${s!.slice(0, -4)}AAAA`, foreign, AUD))).toBe("ERR_JWT_SVID_SIGNATURE");
  });

  test("trust domains of the other copy work as lookup keys", () => {
    const td = other.TrustDomain.parse("example.org");
    expect(ca.x509Bundle.getForTrustDomain(td)).toBe(ca.x509Bundle);
    expect(new BundleSet([ca.x509Bundle]).getForTrustDomain(td)).toBe(ca.x509Bundle);
  });
});
