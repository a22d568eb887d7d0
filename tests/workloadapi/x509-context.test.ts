import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { X509SVIDResponseSchema } from "../../gen/workload_pb.ts";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import { createTestCa, rawX509SvidResponse } from "../../src/testing/mod.ts";
import { concatBytes } from "../../src/testing/lib/concat-bytes.ts";
import { sameX509BundlesResponse, sameX509SvidResponse, toX509Context } from "../../src/workloadapi/x509-context.ts";
import { X509BundlesResponseSchema } from "../../gen/workload_pb.ts";

type Svid = { spiffeId: string; x509Svid: Uint8Array; x509SvidKey: Uint8Array; bundle: Uint8Array };

async function problemOf(svid: Svid): Promise<string> {
  try {
    await toX509Context(create(X509SVIDResponseSchema, { svids: [{ ...svid, hint: "" }] }));
  } catch (err) {
    expect(err).toBeInstanceOf(WorkloadApiError);
    expect((err as WorkloadApiError).code).toBe("ERR_WORKLOAD_API_BAD_RESPONSE");
    return (err as WorkloadApiError).message;
  }
  throw new Error("expected the response to be discarded");
}

describe("toX509Context", () => {
  test("the key check and the chain verification run together; a response with several problems reports the SVID's own first, then its ID, then the bundle, then the verification", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const stranger = await createTestCa({ trustDomain: "example.org" });
    const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const other = await ca.issueX509Svid({ id: "spiffe://example.org/other" });
    const good = rawX509SvidResponse(ca, [svid]).svids![0]! as Svid;
    const untrusting = concatBytes(stranger.x509Authorities);
    const garbage = new Uint8Array([0xff, 0xff, 0x00]);

    const context = await toX509Context(create(X509SVIDResponseSchema, { svids: [{ ...good, hint: "" }] }));
    expect(context.defaultSvid.serialNumber).toBe(svid.serialNumber);

    expect(await problemOf({ ...good, bundle: untrusting })).toContain("does not verify against the bundle in the same response");
    expect(await problemOf({ ...good, bundle: garbage })).toContain('bundle of "example.org"');
    // a wrong ID beats the bundle's problems; the SVID's own problem (a key of another SVID) beats everything
    expect(await problemOf({ ...good, spiffeId: "spiffe://example.org/other", bundle: untrusting })).toContain("differs from the certificate's URI SAN");
    expect(await problemOf({ ...good, spiffeId: "spiffe://example.org/other", bundle: garbage })).toContain("differs from the certificate's URI SAN");
    for (const bundle of [good.bundle, untrusting, garbage]) {
      expect(await problemOf({ ...good, x509SvidKey: other.privateKey, bundle })).toContain("ERR_X509_SVID_KEY_MISMATCH");
    }
  });

  test("an unchanged response is recognized byte for byte (map order ignored); any changed byte, hint, ID, CRL or federated bundle is a change", async () => {
    const ca = await createTestCa({ trustDomain: "example.org" });
    const fed = await createTestCa({ trustDomain: "fed.example" });
    const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
    const good = rawX509SvidResponse(ca, [svid]).svids![0]! as Svid;
    const fedBundle = concatBytes(fed.x509Authorities);
    const other = new Uint8Array([1, 2, 3]);
    const response = (svid: Partial<Svid> & { hint?: string }, federated: Record<string, Uint8Array>, crl: Uint8Array[] = []) =>
      create(X509SVIDResponseSchema, { svids: [{ ...good, hint: "", ...svid }], federatedBundles: federated, crl });
    const base = response({}, { "spiffe://fed.example": fedBundle, "spiffe://other.example": other });
    expect(sameX509SvidResponse(base, response({}, { "spiffe://other.example": other.slice(), "spiffe://fed.example": fedBundle.slice() }))).toBe(true);
    const flip = (b: Uint8Array): Uint8Array => {
      const c = b.slice();
      c[c.length - 1]! ^= 1;
      return c;
    };
    const changed = [
      response({ x509Svid: flip(good.x509Svid) }, { "spiffe://fed.example": fedBundle, "spiffe://other.example": other }),
      response({ x509SvidKey: flip(good.x509SvidKey) }, { "spiffe://fed.example": fedBundle, "spiffe://other.example": other }),
      response({ bundle: flip(good.bundle) }, { "spiffe://fed.example": fedBundle, "spiffe://other.example": other }),
      response({ hint: "internal" }, { "spiffe://fed.example": fedBundle, "spiffe://other.example": other }),
      response({ spiffeId: "spiffe://example.org/other" }, { "spiffe://fed.example": fedBundle, "spiffe://other.example": other }),
      response({}, { "spiffe://fed.example": flip(fedBundle), "spiffe://other.example": other }),
      response({}, { "spiffe://fed.example": fedBundle }),
      response({}, { "spiffe://fed.example": fedBundle, "spiffe://third.example": other }),
      response({}, { "spiffe://fed.example": fedBundle, "spiffe://other.example": other }, [other]),
    ];
    for (const c of changed) {
      expect(sameX509SvidResponse(base, c)).toBe(false);
      expect(sameX509SvidResponse(c, base)).toBe(false);
    }
    const bundles = (map: Record<string, Uint8Array>) => create(X509BundlesResponseSchema, { bundles: map });
    expect(sameX509BundlesResponse(bundles({ a: other, b: fedBundle }), bundles({ b: fedBundle.slice(), a: other.slice() }))).toBe(true);
    expect(sameX509BundlesResponse(bundles({ a: other }), bundles({ a: flip(other) }))).toBe(false);
    expect(sameX509BundlesResponse(bundles({ a: other }), bundles({ b: other }))).toBe(false);
  });
});
