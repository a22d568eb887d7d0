// The trace hook: what the SDK reports about handshakes, Workload API calls and source
// updates, as plain callbacks (go-spiffe's tlsconfig.Trace, widened to the Workload API).
// OpenTelemetry, the audit log and users' own hooks are all implementations of it.
import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import type { SpiffeTlsMode } from "../http/tls-mode.ts";

/**
 * Which side of a connection the SDK verified the peer for: `"server"` verifies a client,
 * `"client"` verifies a server.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type TlsSide = "server" | "client";

/**
 * A TLS handshake finished and the SDK starts verifying the peer's X.509-SVID. Never carries
 * keys or certificates.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface HandshakeStartInfo {
  readonly side: TlsSide;
  readonly mode: SpiffeTlsMode;
  /** The peer's IP address, when the socket knows it. */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/**
 * The peer was verified and authorized.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface HandshakeVerifiedInfo extends HandshakeStartInfo {
  /** The peer's verified SPIFFE ID. */
  readonly peerId: SpiffeId;
  /** How long verification and authorization took, in milliseconds. */
  readonly durationMs: number;
  /** The serial number (hex, lower case, no leading zeros) of the certificate this side presented; computed on call. */
  localSerialNumber(): string | undefined;
}

/**
 * The peer was refused; the connection is closed.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface HandshakeRefusedInfo extends HandshakeStartInfo {
  /** The stable reason code, e.g. `ERR_X509_SVID_UNTRUSTED`, `ERR_AUTHZ_UNEXPECTED_ID` (the error's name for errors without one). */
  readonly code: string;
  readonly error: Error;
  /** The peer's SPIFFE ID when it was verified but not authorized. */
  readonly peerId: SpiffeId | undefined;
  readonly durationMs: number;
}

/**
 * The workload's default X.509-SVID as a {@link SourceUpdateInfo} describes it: never the key.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface SvidSummary {
  readonly id: SpiffeId;
  /** Hex serial number of the leaf certificate. */
  readonly serialNumber: string;
  readonly expiresAt: Date;
}

/**
 * What a Workload API watch delivered (after validation): `"x509-context"` (the SVIDs and
 * bundles `X509Source` follows), `"x509-bundles"` or `"jwt-bundles"`; bundles by trust
 * domain name.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type SourceUpdateInfo =
  | { readonly kind: "x509-context"; readonly svid: SvidSummary; readonly bundles: ReadonlyMap<string, X509Bundle>; readonly endpoint: string }
  | { readonly kind: "x509-bundles"; readonly bundles: ReadonlyMap<string, X509Bundle>; readonly endpoint: string }
  | { readonly kind: "jwt-bundles"; readonly bundles: ReadonlyMap<string, JwtBundle>; readonly endpoint: string };

/**
 * A Workload API response was discarded (invalid SVID, key mismatch, bad bundle, …); the
 * last good state stays.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface UpdateRefusedInfo {
  /** The gRPC method, e.g. `FetchX509SVID`. */
  readonly method: string;
  /** `ERR_WORKLOAD_API_BAD_RESPONSE`. */
  readonly code: string;
  readonly endpoint: string;
}

/**
 * A Workload API watch stream failed (or ended); `retrying` says whether it reconnects.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface StreamErrorInfo {
  readonly method: string;
  /** The SDK's code, e.g. `ERR_WORKLOAD_API_UNAVAILABLE`. */
  readonly code: string;
  /** The gRPC status the call ended with, when there was one (14 = Unavailable, 7 = PermissionDenied). */
  readonly grpcStatus: number | undefined;
  readonly retrying: boolean;
  readonly endpoint: string;
}

/**
 * One gRPC call to the Workload API starts (a unary call, or a stream that lasts until it
 * ends or is cancelled).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WorkloadApiCallInfo {
  /** `SpiffeWorkloadAPI`. */
  readonly service: string;
  /** e.g. `FetchX509SVID`, `FetchJWTSVID`. */
  readonly method: string;
  readonly streaming: boolean;
  readonly endpoint: string;
}

/**
 * How a Workload API call ended: gRPC status 0 when it succeeded (or the SDK stopped reading a
 * stream it no longer needed).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WorkloadApiCallEndInfo extends WorkloadApiCallInfo {
  readonly grpcStatus: number;
  readonly error: Error | undefined;
}

/**
 * Callbacks the SDK calls as it works, for users who want to see what happens without
 * OpenTelemetry (go-spiffe: `tlsconfig.WithTrace`). Every callback is optional and runs
 * synchronously on the SDK's path: keep it short. A callback that throws is ignored. The
 * `*Start` callbacks may return a value that the SDK hands to the matching end callback (as
 * go-spiffe's `GetCertificate` hands its value to `GotCertificate`).
 *
 * Handshake callbacks run for every connection the SDK verifies a peer on (servers in
 * `"mtls"` and `"mtls-web"` mode, clients in `"mtls"` and `"tls"` mode), whatever built it:
 * `serveMtls`, `createMtlsClient`, `attachSpiffe`, `connectMtls`, agents, dispatchers, gRPC
 * credentials. Register with {@link addSpiffeTrace}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 *
 * @example Count refusals by reason
 * ```ts
 * import { addSpiffeTrace } from "@spiffe-ts/sdk";
 * const refusals = new Map<string, number>();
 * const remove = addSpiffeTrace({
 *   handshakeRefused: ({ code }) => refusals.set(code, (refusals.get(code) ?? 0) + 1),
 * });
 * ```
 */
export interface SpiffeTrace {
  handshakeStart?(info: HandshakeStartInfo): unknown;
  handshakeVerified?(info: HandshakeVerifiedInfo, context: unknown): void;
  handshakeRefused?(info: HandshakeRefusedInfo, context: unknown): void;
  sourceUpdated?(info: SourceUpdateInfo): void;
  updateRefused?(info: UpdateRefusedInfo): void;
  streamError?(info: StreamErrorInfo): void;
  workloadApiCallStart?(info: WorkloadApiCallInfo): unknown;
  workloadApiCallEnd?(info: WorkloadApiCallEndInfo, context: unknown): void;
}
