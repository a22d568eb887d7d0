import { concatBytes } from "./lib/concat-bytes.ts";
import type { IssuedX509Svid, TestCa } from "./test-ca.ts";

/**
 * One SVID of a raw `X509SVIDResponse`; every field may be left out or wrong on purpose.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface RawX509Svid {
  /** `spiffe_id` */
  readonly spiffeId?: string;
  /** `x509_svid`: concatenated DER certificates, leaf first. */
  readonly x509Svid?: Uint8Array;
  /** `x509_svid_key`: PKCS#8 DER private key. */
  readonly x509SvidKey?: Uint8Array;
  /** `bundle`: concatenated DER root certificates of the SVID's trust domain. */
  readonly bundle?: Uint8Array;
  /** `hint` */
  readonly hint?: string;
}

/**
 * A raw `X509SVIDResponse` of the Workload API, sent as is by
 * `WorkloadApiServer.pushRawX509Response` (for testing how clients handle malformed updates).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface RawX509SvidResponse {
  /** `svids`: the X.509-SVIDs, as sent. */
  readonly svids?: readonly RawX509Svid[];
  /** `crl`: DER CRLs. */
  readonly crl?: readonly Uint8Array[];
  /** `federated_bundles`: SPIFFE ID of the trust domain (`spiffe://td`) → concatenated DER roots. */
  readonly federatedBundles?: Readonly<Record<string, Uint8Array>>;
}

/**
 * A raw `X509BundlesResponse` (SPIFFE ID of the trust domain → concatenated DER roots), sent as is by
 * `WorkloadApiServer.pushRawX509BundlesResponse`.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface RawX509BundlesResponse {
  /** `crl`: DER CRLs. */
  readonly crl?: readonly Uint8Array[];
  /** `bundles`: SPIFFE ID of the trust domain (`spiffe://td`) → concatenated DER roots. */
  readonly bundles?: Readonly<Record<string, Uint8Array>>;
}

/**
 * A raw `JWTBundlesResponse` (SPIFFE ID of the trust domain → JWKS JSON bytes), sent as is by
 * `WorkloadApiServer.pushRawJwtBundlesResponse`.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface RawJwtBundlesResponse {
  /** `bundles`: SPIFFE ID of the trust domain (`spiffe://td`) → JWKS JSON bytes. */
  readonly bundles?: Readonly<Record<string, Uint8Array>>;
}

/**
 * Builds the regular `X509SVIDResponse` for SVIDs issued by `ca` (chain concatenated, key,
 * the CA's bundle), as a starting point for hand-made malformed responses.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 *
 * @example Serve an SVID whose key does not match its certificate
 * ```ts
 * import { createTestCa, rawX509SvidResponse } from "@spiffe-ts/sdk/testing";
 * const a = await ca.issueX509Svid({ id: "spiffe://example.org/a" });
 * const b = await ca.issueX509Svid({ id: "spiffe://example.org/b" });
 * const raw = rawX509SvidResponse(ca, [a]);
 * server.pushRawX509Response({ ...raw, svids: [{ ...raw.svids![0], x509SvidKey: b.privateKey }] });
 * ```
 */
export function rawX509SvidResponse(ca: TestCa, svids: readonly IssuedX509Svid[]): RawX509SvidResponse {
  const bundle = concatBytes(ca.x509Authorities);
  return {
    svids: svids.map((s) => ({
      spiffeId: s.id.toString(),
      x509Svid: concatBytes(s.certificates),
      x509SvidKey: s.privateKey.slice(),
      bundle,
      ...(s.hint === undefined ? {} : { hint: s.hint }),
    })),
  };
}
