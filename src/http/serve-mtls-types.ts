import type { Authorizer } from "../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import type { Logger } from "../core/logger.ts";
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";
import type { PeerIdentity } from "./peer-identity.ts";
import type { WebCertificate, WebCertificateSource } from "./tls-mode.ts";

/**
 * What the server hands a handler besides the `Request`: the verified peer.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsRequestContext {
  /** The caller, verified (X.509-SVID against the bundle of its trust domain) and authorized. */
  readonly peer: PeerIdentity;
}

/**
 * A Web `fetch` handler served over SPIFFE mTLS.
 *
 * When the client goes away, `request.signal` aborts, and reading a request body that had not
 * ended yet fails: with an `AbortError` `DOMException` (the signal's reason) when the
 * connection closed or the body ended short of its `Content-Length`, or with the runtime's
 * own error when it reported one (over HTTP/1.1, `ECONNRESET` "aborted").
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type MtlsFetchHandler = (request: Request, context: MtlsRequestContext) => Response | Promise<Response>;

/**
 * What a server in mode `"tls"` hands a handler: no peer, since TLS authenticates only the
 * server. Callers prove who they are otherwise, e.g. with a JWT-SVID bearer token checked by
 * `requireJwtSvid`, which puts their identity on the request (`getPeerIdentity(request)`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface TlsRequestContext {
  /** Always `undefined`: in mode `"tls"` the connection carries no client identity. */
  readonly peer: undefined;
}

/**
 * A Web `fetch` handler served over SPIFFE TLS (mode `"tls"`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type TlsFetchHandler = (request: Request, context: TlsRequestContext) => Response | Promise<Response>;

/**
 * Timeouts of an mTLS server, in milliseconds. Each has a default; 0 disables one.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsServerTimeouts {
  /** TLS handshake plus SVID verification. Default 10 000. */
  readonly handshakeMs?: number;
  /** From connection (or previous response) to complete request headers. Default 10 000. */
  readonly headersMs?: number;
  /** From request start to the end of the request body. Default 60 000. */
  readonly requestMs?: number;
  /** A kept-alive connection with no request in flight is closed after this. Default 60 000. */
  readonly idleMs?: number;
}

/**
 * Options every server mode shares.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface ServeOptionsBase {
  /** TCP port; 0 picks a free one. Default 8443. */
  readonly port?: number;
  /** Address to bind. Default `"0.0.0.0"`. */
  readonly hostname?: string;
  /**
   * A separate plain-HTTP listener for probes: `/healthz` and identity-aware `/readyz`; with
   * `metrics`, also `GET /metrics` answering its text as `text/plain; version=0.0.4` (the
   * Prometheus exposition format; see docs/observability.md for OpenTelemetry's exporter).
   */
  readonly health?: { readonly port: number; readonly hostname?: string; readonly metrics?: () => string | Promise<string> };
  /** Timeouts; see {@link MtlsServerTimeouts} for defaults. */
  readonly timeouts?: MtlsServerTimeouts;
  /** Identity loss (error, once per loss), refused handshakes (debug), handler errors (error), rotations (info). Silent by default. */
  readonly logger?: Logger;
  /**
   * Called once each time the workload loses its identity (no SVID: the Workload API denied
   * it, or it expired unrotated). New handshakes then fail with a TLS alert and `/readyz`
   * answers 503 until an SVID arrives; open connections go on.
   */
  readonly onIdentityLost?: (error: Error) => void;
  /** Clock used for SVID verification and `/readyz`, for tests. */
  readonly now?: () => Date;
}

/**
 * Options of `serveMtls` in mode `"mtls"` (the default): the server presents its X.509-SVID
 * and requires and verifies the client's. The same on `@spiffe-ts/sdk/node`, `/bun` and `/deno`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface ServeMtlsOptions extends ServeOptionsBase {
  /** `"mtls"` (the default): clients must present an X.509-SVID, verified and authorized before any request. */
  readonly mode?: "mtls";
  /** The server's own X.509-SVID and the bundles to verify clients with; usually an `X509Source`. */
  readonly source: X509SvidSource & X509BundleSourceLike;
  /** Which verified clients may connect (e.g. `authorizeMemberOf("example.org")`). Required. */
  readonly authorizer: Authorizer;
  /** The request handler. */
  readonly fetch: MtlsFetchHandler;
}

/**
 * Options of `serveMtls` in mode `"tls"`: the server presents its X.509-SVID and does not
 * authenticate clients at the TLS layer (go-spiffe's `TLSServerConfig`); pair it with
 * `requireJwtSvid`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface ServeTlsOptions extends ServeOptionsBase {
  /** `"tls"`: the server presents its X.509-SVID and asks clients for no certificate. */
  readonly mode: "tls";
  /** The server's own X.509-SVID; usually an `X509Source`. */
  readonly source: X509SvidSource;
  /** The request handler (no TLS peer: see {@link TlsRequestContext}). */
  readonly fetch: TlsFetchHandler;
}

/**
 * Options of `serveMtls` in mode `"mtls-web"`: the server presents a Web-PKI certificate (a
 * public endpoint) and requires and verifies the client's X.509-SVID (go-spiffe's
 * `MTLSWebServerConfig`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface ServeMtlsWebOptions extends ServeOptionsBase {
  /** `"mtls-web"`: the server presents a Web-PKI certificate and verifies the client's X.509-SVID. */
  readonly mode: "mtls-web";
  /** The Web-PKI key and certificate chain to present, or a source that announces renewals. */
  readonly certificate: WebCertificate | WebCertificateSource;
  /** The bundles to verify clients with; an `X509Source`, `BundleSource` or `BundleSet`. */
  readonly source: X509BundleSourceLike;
  /** Which verified clients may connect. Required. */
  readonly authorizer: Authorizer;
  /** The request handler. */
  readonly fetch: MtlsFetchHandler;
}

/**
 * Options of `serveMtls`, by mode.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type ServeOptions = ServeMtlsOptions | ServeTlsOptions | ServeMtlsWebOptions;

/**
 * A running SPIFFE mTLS server.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsServer {
  /** `https://<hostname>:<port>/` (a wildcard bind shows as `127.0.0.1`). */
  readonly url: URL;
  /** The bound port. */
  readonly port: number;
  /** `http://…/` of the health listener, when `health` was given. */
  readonly healthUrl: URL | undefined;
  /**
   * Stops accepting connections, lets in-flight requests finish (idle connections close at
   * once), then destroys what is left after `timeoutMs` (default 10 000).
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** `close()` for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
