/**
 * `@spiffe-ts/sdk/testing`: test helpers (a test CA, a development Workload API server).
 * For development and tests, never production.
 *
 * The CA uses Web APIs only; the Workload API server needs `node:http2` (available on
 * Node, Bun and Deno), so it is the one part of this entry that imports `node:*`.
 *
 * @example
 * ```ts
 * import { createTestCa, startWorkloadApiServer } from "@spiffe-ts/sdk/testing";
 * const ca = await createTestCa({ trustDomain: "example.org" });
 * await using server = await startWorkloadApiServer({ socketPath: "/tmp/agent.sock", ca, workloads: [{ id: "spiffe://example.org/web" }] });
 * process.env.SPIFFE_ENDPOINT_SOCKET = server.address;
 * ```
 *
 * @module
 */
export { createTestCa } from "./test-ca.ts";
export type {
  IssuedJwtSvid,
  IssuedX509Svid,
  IssueJwtSvidOptions,
  IssueX509SvidOptions,
  RotateOptions,
  TestCa,
  TestCaOptions,
  TestJwk,
  TestJwks,
  TestJwtAlgorithm,
  TestKeyAlgorithm,
} from "./test-ca.ts";
export { startWorkloadApiServer } from "./workload-api-server.ts";
export type { WorkloadApiServer, WorkloadApiServerOptions } from "./workload-api-server.ts";
export type {
  FederatedBundle,
  GrpcStatusName,
  RecordedCall,
  RecordedStatus,
  TestWorkload,
  WorkloadApiMethod,
  WorkloadsByHeader,
  WorkloadSelection,
} from "./workload-api-types.ts";
export { rawX509SvidResponse } from "./raw-responses.ts";
export type { RawJwtBundlesResponse, RawX509BundlesResponse, RawX509Svid, RawX509SvidResponse } from "./raw-responses.ts";
export { TestingError } from "./testing-error.ts";
export { withSpiffeId } from "../http/with-spiffe-id.ts";
export { FakeX509Source } from "./fake-x509-source.ts";
export type { TestingErrorCode } from "./testing-error.ts";
