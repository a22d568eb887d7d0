import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { X509SVIDResponseSchema } from "../../gen/workload_pb.ts";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import { createTestCa, rawX509SvidResponse } from "../../src/testing/mod.ts";
import { concatBytes } from "../../src/testing/lib/concat-bytes.ts";
import { toX509Context } from "../../src/workloadapi/x509-context.ts";

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
});
