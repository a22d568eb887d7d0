/**
 * `@spiffe-ts/sdk`: SPIFFE identities for TypeScript services on Node.js, Bun and Deno,
 * and in browsers and edge workers.
 *
 * This entry uses Web APIs only (no `node:*`, `Bun` or `Deno`, directly or through a
 * dependency): SPIFFE IDs, trust bundles, X.509-SVID and JWT-SVID verification, authorizers,
 * errors, request identity and middleware, and the transport-agnostic Workload API client
 * and sources (given a Connect `Transport` or a client). The runtime entries
 * `@spiffe-ts/sdk/node`, `@spiffe-ts/sdk/bun` and `@spiffe-ts/sdk/deno` re-export all of it
 * and add the default Workload API transport (so `X509Source.create()` needs no argument
 * there) and the mTLS servers and clients; test helpers live in `@spiffe-ts/sdk/testing`.
 *
 * @example Verify a peer's X.509-SVID chain
 * ```ts
 * import { authorizeMemberOf, verifyX509Svid, X509Bundle } from "@spiffe-ts/sdk";
 * const bundle = X509Bundle.parse("example.org", bundlePem);
 * const { id } = await verifyX509Svid(peerChainPem, bundle);
 * await authorizeMemberOf("example.org")(id, []);
 * ```
 *
 * @module
 */

// errors
export { SpiffeError } from "./src/core/errors/spiffe-error.ts";
export { SpiffeIdError } from "./src/core/errors/spiffe-id-error.ts";
export type { SpiffeIdErrorCode } from "./src/core/errors/spiffe-id-error.ts";
export { BundleError } from "./src/core/errors/bundle-error.ts";
export type { BundleErrorCode } from "./src/core/errors/bundle-error.ts";
export { X509SvidError } from "./src/core/errors/x509-svid-error.ts";
export type { X509SvidErrorCode } from "./src/core/errors/x509-svid-error.ts";
export { AuthorizationError } from "./src/core/errors/authorization-error.ts";
export type { AuthorizationErrorCode } from "./src/core/errors/authorization-error.ts";
export { AuthenticationError } from "./src/core/errors/authentication-error.ts";
export type { AuthenticationErrorCode } from "./src/core/errors/authentication-error.ts";
export { InvalidArgumentError } from "./src/core/errors/invalid-argument-error.ts";
export type { InvalidArgumentErrorCode } from "./src/core/errors/invalid-argument-error.ts";
export { ConfigError } from "./src/core/errors/config-error.ts";
export type { ConfigErrorCode } from "./src/core/errors/config-error.ts";
export { IntegrationError } from "./src/core/errors/integration-error.ts";
export { MissingDependencyError } from "./src/core/errors/missing-dependency-error.ts";
export type { MissingDependencyErrorCode } from "./src/core/errors/missing-dependency-error.ts";
export { MtlsClientError } from "./src/core/errors/mtls-client-error.ts";
export type { MtlsClientErrorCode } from "./src/core/errors/mtls-client-error.ts";
export type { IntegrationErrorCode } from "./src/core/errors/integration-error.ts";
export type { Logger } from "./src/core/logger.ts";

// SPIFFE IDs
export { SpiffeId } from "./src/core/spiffeid/spiffe-id.ts";
export { TrustDomain } from "./src/core/spiffeid/trust-domain.ts";

// bundles
export { X509Bundle } from "./src/core/bundle/x509-bundle.ts";
export { JwtBundle } from "./src/core/bundle/jwt-bundle.ts";
export type { JwtBundleKey } from "./src/core/bundle/jwt-bundle.ts";
export { SpiffeBundle } from "./src/core/bundle/spiffe-bundle.ts";
export type { SpiffeBundleDocument, SpiffeBundleParts } from "./src/core/bundle/spiffe-bundle.ts";
export { BundleSet } from "./src/core/bundle/bundle-set.ts";
export { combineSources } from "./src/core/bundle/combine-sources.ts";
export type { CombinedBundleSource, CombinedSource, CombineSourcesInit } from "./src/core/bundle/combine-sources.ts";
export type { GenericJwtBundleSource, JwtBundleSource, JwtBundleSourceLike } from "./src/core/bundle/jwt-bundle-source.ts";
export type { IgnoredJwk } from "./src/core/bundle/jwk-set.ts";
export type { PublicJwk } from "./src/core/bundle/public-jwk.ts";

// X.509-SVIDs
export { X509Svid } from "./src/core/svid/x509/x509-svid.ts";
export type { X509SvidJson, X509SvidParseOptions } from "./src/core/svid/x509/x509-svid.ts";
export { verifyX509Svid } from "./src/core/svid/x509/verify-x509-svid.ts";
export type { VerifiedX509Svid, VerifyX509SvidOptions } from "./src/core/svid/x509/verify-x509-svid.ts";
export type { ChainInput } from "./src/core/svid/x509/read-chain.ts";
export type { GenericX509BundleSource, X509BundleSource, X509BundleSourceLike } from "./src/core/bundle/x509-bundle-source.ts";
export type { X509SvidSource } from "./src/core/svid/x509/x509-svid-source.ts";
export { createX509PeerVerifier } from "./src/core/svid/x509/x509-peer-verifier.ts";
export type { VerifiedPeer, X509PeerVerifier, X509PeerVerifierOptions } from "./src/core/svid/x509/x509-peer-verifier.ts";

// JWT-SVIDs
export { JwtSvidError } from "./src/core/errors/jwt-svid-error.ts";
export type { JwtSvidErrorCode } from "./src/core/errors/jwt-svid-error.ts";
export { JwtSvid } from "./src/core/svid/jwt/jwt-svid.ts";
export type { JwtSvidJson, JwtSvidValidateOptions } from "./src/core/svid/jwt/jwt-svid.ts";
export type { JwtSvidSource } from "./src/core/svid/jwt/jwt-svid-source.ts";
export { JwtSource } from "./src/workloadapi/jwt-source.ts";
export type { JwtSourceOptions, JwtSourceUpdate } from "./src/workloadapi/jwt-source.ts";
export { requireJwtSvid } from "./src/http/jwt-svid-middleware.ts";
export type { RequireJwtSvidOptions } from "./src/http/jwt-svid-middleware.ts";
export type { MtlsClientJwtSvidOptions } from "./src/http/jwt-svid-bearer.ts";

// Workload API
export { WorkloadApiError } from "./src/core/errors/workload-api-error.ts";
export type { WorkloadApiErrorCode } from "./src/core/errors/workload-api-error.ts";
export { parseWorkloadApiAddress } from "./src/core/workloadapi/endpoint-address.ts";
export type { WorkloadApiAddress } from "./src/core/workloadapi/endpoint-address.ts";
export { SPIFFE_ENDPOINT_SOCKET, WorkloadApiClient } from "./src/workloadapi/workload-api-client.ts";
export type {
  FetchJwtSvidOptions,
  WorkloadApiCallOptions,
  WorkloadApiClientOptions,
  WorkloadApiWatchOptions,
} from "./src/workloadapi/workload-api-client.ts";
export type { X509Context, X509SvidPicker } from "./src/workloadapi/x509-context.ts";
export type { ValidatedJwtSvid } from "./src/workloadapi/jwt-svids.ts";
export type { BackoffOptions } from "./src/workloadapi/backoff.ts";
export { X509Source } from "./src/workloadapi/x509-source.ts";
export type { X509SourceOptions, X509SourceUpdate } from "./src/workloadapi/x509-source.ts";
export { BundleSource } from "./src/workloadapi/bundle-source.ts";
export type { BundleSourceOptions, BundleSourceUpdate } from "./src/workloadapi/bundle-source.ts";
export type { SourceOptions } from "./src/workloadapi/source-options.ts";
export type { WorkloadApiClientLike } from "./src/workloadapi/workload-api-client-like.ts";
export type { WorkloadApiConnection, WorkloadApiTransportFactory } from "./src/workloadapi/workload-api-transport.ts";

// authorization
export { adaptMatcher, authorizeAny, authorizeId, authorizeMemberOf, authorizeOneOf } from "./src/core/authz/authorizer.ts";
export type { Authorizer } from "./src/core/authz/authorizer.ts";

// identity of a request, middleware (Fetch API, runtime-neutral)
export { getPeerIdentity } from "./src/http/peer-identity.ts";
export type { AuthenticationMechanism, PeerIdentity } from "./src/http/peer-identity.ts";
export { getSpiffeId, requireSpiffeId } from "./src/http/spiffe-id-of-request.ts";
export { getForwardedSubject } from "./src/http/forwarded-subject.ts";
export type { ForwardedSubject, ForwardedSubjectOptions } from "./src/http/forwarded-subject.ts";
export {
  composeMiddleware,
  logIdentity,
  requireAuthentication,
  requireAuthorized,
  requirePathPrefix,
  requireTrustDomain,
} from "./src/http/middleware.ts";
export type { FetchHandler, Middleware } from "./src/http/middleware.ts";
export type {
  MtlsFetchHandler,
  MtlsRequestContext,
  MtlsServer,
  MtlsServerTimeouts,
  ServeMtlsOptions,
  ServeMtlsWebOptions,
  ServeOptions,
  ServeOptionsBase,
  ServeTlsOptions,
  TlsFetchHandler,
  TlsRequestContext,
} from "./src/http/serve-mtls-types.ts";
export type {
  ClientModeOptions,
  ClientOptions,
  MtlsClient,
  MtlsClientBaseOptions,
  MtlsClientOptions,
  MtlsClientPoolOptions,
  MtlsModeOptions,
  MtlsRequestBody,
  MtlsRequestInit,
  MtlsWebClientOptions,
  MtlsWebModeOptions,
  TlsClientOptions,
  TlsModeOptions,
} from "./src/http/mtls-client-types.ts";
export type { SpiffeTlsMode, WebCertificate, WebCertificateSource } from "./src/http/tls-mode.ts";

// federation (SPIFFE Federation: bundle endpoint client and server; https_spiffe is in the runtime entries)
export { FederationError } from "./src/core/errors/federation-error.ts";
export type { FederationErrorCode } from "./src/core/errors/federation-error.ts";
export { fetchBundle } from "./src/federation/fetch-bundle.ts";
export type { FetchBundleOptions, WebFetch } from "./src/federation/fetch-bundle.ts";
export type { BundleEndpointProfile, HttpsSpiffeProfile, HttpsSpiffeRequestInit } from "./src/federation/endpoint-profile.ts";
export { watchBundle } from "./src/federation/watch-bundle.ts";
export type { BundleWatch, WatchBundleOptions, WatchTimers } from "./src/federation/watch-bundle.ts";
export { FederatedBundleSource } from "./src/federation/federated-bundle-source.ts";
export type { FederatedBundleSourceOptions, FederationRelationship } from "./src/federation/federated-bundle-source.ts";
export { createBundleEndpointHandler } from "./src/federation/bundle-endpoint-handler.ts";
export type { BundleEndpointHandler, BundleEndpointHandlerOptions, BundleEndpointSource } from "./src/federation/bundle-endpoint-handler.ts";

// observability: trace hooks, OpenTelemetry (optional peer, loaded only by enableTelemetry), loggers, audit log
export { addSpiffeTrace } from "./src/observability/trace-registry.ts";
export type {
  HandshakeRefusedInfo,
  HandshakeStartInfo,
  HandshakeVerifiedInfo,
  SourceUpdateInfo,
  SpiffeTrace,
  StreamErrorInfo,
  SvidSummary,
  TlsSide,
  UpdateRefusedInfo,
  WorkloadApiCallEndInfo,
  WorkloadApiCallInfo,
} from "./src/observability/spiffe-trace.ts";
export { enableTelemetry } from "./src/observability/enable-telemetry.ts";
export type { Telemetry, TelemetryOptions } from "./src/observability/enable-telemetry.ts";
export type {
  CounterLike,
  HistogramLike,
  InstrumentOptions,
  MeterLike,
  MeterProviderLike,
  ObservableGaugeLike,
  ObservableResultLike,
  SpanLike,
  TelemetryAttributes,
  TracerLike,
  TracerProviderLike,
} from "./src/observability/otel-api.ts";
export { createAuditLog } from "./src/observability/audit-log.ts";
export type { AuditLogOptions } from "./src/observability/audit-log.ts";
export { fromPino } from "./src/observability/pino-logger.ts";
export type { PinoLike } from "./src/observability/pino-logger.ts";
