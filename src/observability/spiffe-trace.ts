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
  /** Which side verifies the peer. */
  readonly side: TlsSide;
  /** The SPIFFE TLS mode of the connection. */
  readonly mode: SpiffeTlsMode;
  /** The peer's IP address, when the socket knows it. */
  readonly remoteAddress: string | undefined;
  /** The peer's port, when the socket knows it. */
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
  /** The error the peer was refused with. */
  readonly error: Error;
  /** The peer's SPIFFE ID when it was verified but not authorized. */
  readonly peerId: SpiffeId | undefined;
  /** How long the verification took, in milliseconds. */
  readonly durationMs: number;
}

/**
 * The workload's default X.509-SVID as a {@link SourceUpdateInfo} describes it: never the key.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface SvidSummary {
  /** The SVID's SPIFFE ID. */
  readonly id: SpiffeId;
  /** Hex serial number of the leaf certificate. */
  readonly serialNumber: string;
  /** When the leaf certificate expires. */
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
  /** The Workload API address the response came from. */
  readonly endpoint: string;
}

/**
 * A Workload API watch stream failed (or ended); `retrying` says whether it reconnects.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface StreamErrorInfo {
  /** The Workload API method, e.g. `FetchX509SVID`. */
  readonly method: string;
  /** The SDK's code, e.g. `ERR_WORKLOAD_API_UNAVAILABLE`. */
  readonly code: string;
  /** The gRPC status the call ended with, when there was one (14 = Unavailable, 7 = PermissionDenied). */
  readonly grpcStatus: number | undefined;
  /** Whether the SDK retries (with backoff). */
  readonly retrying: boolean;
  /** The Workload API address. */
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
  /** Whether the method is a server stream. */
  readonly streaming: boolean;
  /** The Workload API address. */
  readonly endpoint: string;
}

/**
 * How a Workload API call ended: gRPC status 0 when it succeeded (or the SDK stopped reading a
 * stream it no longer needed).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WorkloadApiCallEndInfo extends WorkloadApiCallInfo {
  /** The gRPC status the call ended with (0 = OK). */
  readonly grpcStatus: number;
  /** The error the call failed with, if it failed. */
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
  /** A handshake finished and verification starts; the value returned is handed to `handshakeVerified`/`handshakeRefused` as `context`. */
  handshakeStart?(info: HandshakeStartInfo): unknown;
  /** The peer was verified and authorized. */
  handshakeVerified?(info: HandshakeVerifiedInfo, context: unknown): void;
  /** The peer was refused. */
  handshakeRefused?(info: HandshakeRefusedInfo, context: unknown): void;
  /** A source applied an update from the Workload API. */
  sourceUpdated?(info: SourceUpdateInfo): void;
  /** A malformed Workload API update was dropped (the last good state stays). */
  updateRefused?(info: UpdateRefusedInfo): void;
  /** A Workload API stream failed. */
  streamError?(info: StreamErrorInfo): void;
  /** A Workload API call starts; the value returned is handed to `workloadApiCallEnd` as `context`. */
  workloadApiCallStart?(info: WorkloadApiCallInfo): unknown;
  /** A Workload API call ended. */
  workloadApiCallEnd?(info: WorkloadApiCallEndInfo, context: unknown): void;
}
