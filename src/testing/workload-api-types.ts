// Vocabulary of the development Workload API server (types only).
import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import type { TestCa } from "./test-ca.ts";

/**
 * An identity the development server hands out: an X.509-SVID (and JWT-SVIDs) for `id`,
 * issued by the server's CA.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface TestWorkload {
  /** SPIFFE ID of the SVID. */
  readonly id: SpiffeId | string;
  /** Hint sent with the SVID (`hint` field), e.g. `"internal"`. Like SPIRE, only the first workload of each non-empty hint is served. */
  readonly hint?: string;
  /** Extra DNS SANs of the X.509-SVID. */
  readonly dnsSans?: readonly string[];
}

/**
 * Picks the caller's workloads by a request header the test sets itself, e.g.
 * `{ header: "x-test-workload", byValue: { web: [{ id: "spiffe://example.org/web" }] } }`.
 * A caller without the header, or with an unknown value, has no identity (PermissionDenied).
 *
 * This is a stand-in for workload attestation, good only for development and tests: any
 * process that can reach the socket can claim any value. Never use it in production.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface WorkloadsByHeader {
  /** Request header name (lowercase). */
  readonly header: string;
  /** Header value → the workloads served to that caller. */
  readonly byValue: Readonly<Record<string, readonly TestWorkload[]>>;
}

/**
 * Who gets which SVIDs: one list for every caller (the default), or a selection by a
 * test-supplied header. An empty list means "no identity" (PermissionDenied, like SPIRE).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type WorkloadSelection = readonly TestWorkload[] | WorkloadsByHeader;

/**
 * A bundle of a federated trust domain served alongside the CA's own bundle: another
 * {@link TestCa} (X.509 and JWT bundles, followed live), an `X509Bundle` or a `JwtBundle`.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type FederatedBundle = TestCa | X509Bundle | JwtBundle;

/**
 * The five Workload API RPCs the development server serves.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type WorkloadApiMethod = "FetchX509SVID" | "FetchX509Bundles" | "FetchJWTSVID" | "FetchJWTBundles" | "ValidateJWTSVID";

/**
 * A gRPC status code by name (as in `@connectrpc/connect`'s `Code`), `"OK"` excluded.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export type GrpcStatusName =
  | "Canceled"
  | "Unknown"
  | "InvalidArgument"
  | "DeadlineExceeded"
  | "NotFound"
  | "AlreadyExists"
  | "PermissionDenied"
  | "ResourceExhausted"
  | "FailedPrecondition"
  | "Aborted"
  | "OutOfRange"
  | "Unimplemented"
  | "Internal"
  | "Unavailable"
  | "DataLoss"
  | "Unauthenticated";

/**
 * How a recorded call ended. `"Canceled"` for a stream means the client went away.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface RecordedStatus {
  /** `"OK"` or the gRPC status the call ended with. */
  readonly code: "OK" | GrpcStatusName;
  /** The status message (`""` for OK). */
  readonly message: string;
}

/**
 * One call the development server received.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface RecordedCall {
  /** Which Workload API method was called. */
  readonly method: WorkloadApiMethod;
  /** Request headers, names lowercase (includes `workload.spiffe.io` when sent). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The request as a plain object: `{}` for the fetch/stream RPCs without fields,
   * `{ audience: string[], spiffeId: string }` for FetchJWTSVID, `{ audience: string, svid: string }`
   * for ValidateJWTSVID.
   */
  readonly request: Readonly<Record<string, unknown>>;
  /** undefined while a stream is still open. */
  readonly status: RecordedStatus | undefined;
  /** When the call arrived. */
  readonly startedAt: Date;
}
