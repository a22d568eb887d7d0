import type { Authorizer } from "../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import type { Logger } from "../core/logger.ts";
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";
import type { MtlsClientJwtSvidOptions } from "./jwt-svid-bearer.ts";

/**
 * Connection pool of an mTLS client (keep-alive).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsClientPoolOptions {
  /** Idle connections kept in total. Default 100. */
  readonly maxIdle?: number;
  /** Idle connections kept per origin. Default 10. */
  readonly maxIdlePerOrigin?: number;
  /** Connections open at once per origin (in use + idle); further requests wait. Default 100. */
  readonly maxPerOrigin?: number;
  /** An idle connection is closed after this many ms. Default 90 000. */
  readonly idleTimeoutMs?: number;
}

/**
 * Options every client mode shares.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsClientBaseOptions {
  /** Default timeout of a request (connect to end of response body), ms. Default 30 000; 0 = none. */
  readonly timeoutMs?: number;
  /** Connection pool; see {@link MtlsClientPoolOptions}. */
  readonly pool?: MtlsClientPoolOptions;
  /**
   * Negotiate HTTP/2 (one multiplexed connection per origin) when the server offers it.
   * Default `true`, except on Deno, whose HTTP/2 client can abort the process under load
   * (Deno 2.9); there the default is HTTP/1.1.
   */
  readonly http2?: boolean;
  /** Identity loss (error), rotations (info). Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
  /**
   * Also present a JWT-SVID for `audience` in `Authorization: Bearer` on every request
   * (unless the request sets `Authorization` itself), fetched from its `source` per request,
   * only over the authenticated connection. Default: none.
   */
  readonly jwtSvid?: MtlsClientJwtSvidOptions;
}

/**
 * What every SPIFFE client (`createMtlsClient`, `createSpiffeAgent`, `createSpiffeDispatcher`,
 * `connectMtls`) takes in mode `"mtls"` (the default): it presents its X.509-SVID and
 * verifies the server's X.509-SVID, then authorizes the server's SPIFFE ID.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsModeOptions {
  /** `"mtls"` (the default): present the client's X.509-SVID, verify the server's. */
  readonly mode?: "mtls";
  /** The client's own X.509-SVID and the bundles to verify servers with; usually an `X509Source`. */
  readonly source: X509SvidSource & X509BundleSourceLike;
  /** Which server SPIFFE IDs are acceptable (e.g. `authorizeId(serverId)`). Required. */
  readonly authorizer: Authorizer;
}

/**
 * What every SPIFFE client takes in mode `"tls"`: it verifies the server's X.509-SVID and
 * authorizes its ID, and presents no certificate (go-spiffe's `TLSClientConfig`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface TlsModeOptions {
  /** `"tls"`: verify the server's X.509-SVID, present no certificate. */
  readonly mode: "tls";
  /** The bundles to verify servers with; an `X509Source`, `BundleSource` or `BundleSet`. */
  readonly source: X509BundleSourceLike;
  /** Which server SPIFFE IDs are acceptable. Required. */
  readonly authorizer: Authorizer;
}

/**
 * What every SPIFFE client takes in mode `"mtls-web"`: it presents its X.509-SVID to a
 * server with a Web-PKI certificate, checked against `ca` (or the runtime's public roots)
 * and the host name (go-spiffe's `MTLSWebClientConfig`). No authorizer: none would run.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsWebModeOptions {
  /** `"mtls-web"`: present the client's X.509-SVID to a server with a Web-PKI certificate. */
  readonly mode: "mtls-web";
  /** The client's own X.509-SVID; usually an `X509Source`. */
  readonly source: X509SvidSource;
  /** Web-PKI roots (PEM) the server's certificate must chain to. Default: the runtime's public roots. */
  readonly ca?: string | readonly string[];
  /** None in this mode: the server is checked by Web PKI, so no authorizer would run (refused with a `ConfigError`). */
  readonly authorizer?: never;
}

/**
 * Who a SPIFFE client is and which servers it accepts, by mode: the options every client
 * factory shares (the type checker then asks for an `authorizer` exactly where one runs).
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * const identity: ClientModeOptions = { source, authorizer: authorizeId("spiffe://example.org/api") };
 * const client = createMtlsClient({ ...identity, timeoutMs: 5000 });
 * const agent = createSpiffeAgent({ ...identity, maxSockets: 8 });
 * ```
 */
export type ClientModeOptions = MtlsModeOptions | TlsModeOptions | MtlsWebModeOptions;

/**
 * Options of `createMtlsClient` in mode `"mtls"` (the default): the client presents its
 * X.509-SVID and verifies the server's. The same on `@spiffe-ts/sdk/node`, `/bun` and `/deno`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsClientOptions extends MtlsClientBaseOptions, MtlsModeOptions {}

/**
 * Options of `createMtlsClient` in mode `"tls"`: the client verifies the server's X.509-SVID
 * and presents none (go-spiffe's `TLSClientConfig`); prove who you are with `jwtSvid`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface TlsClientOptions extends MtlsClientBaseOptions, TlsModeOptions {}

/**
 * Options of `createMtlsClient` in mode `"mtls-web"`: the client presents its X.509-SVID to
 * a server with a Web-PKI certificate, checked against `ca` (or the runtime's public roots)
 * and the URL's host name (go-spiffe's `MTLSWebClientConfig`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsWebClientOptions extends MtlsClientBaseOptions, MtlsWebModeOptions {}

/**
 * Options of `createMtlsClient`, by mode.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type ClientOptions = MtlsClientOptions | TlsClientOptions | MtlsWebClientOptions;

/**
 * Per-request options: Web `RequestInit` plus a timeout override.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsRequestInit extends RequestInit {
  /** Overrides the client's `timeoutMs` for this request. */
  readonly timeoutMs?: number;
}

/**
 * A body for the helpers: a plain object or array is sent as JSON; anything `fetch`
 * accepts is sent as is.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type MtlsRequestBody = BodyInit | Record<string, unknown> | unknown[] | null | undefined;

/**
 * An HTTP client that speaks SPIFFE mTLS: it presents the current X.509-SVID, verifies the
 * server's X.509-SVID against the bundle of the server's trust domain (never its hostname,
 * never system roots) and authorizes the server's SPIFFE ID before sending anything.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface MtlsClient {
  /** Web `fetch` over SPIFFE mTLS (`https:` URLs only). Rejects with a `SpiffeError` when the server is refused. */
  fetch(input: string | URL | Request, init?: MtlsRequestInit): Promise<Response>;
  /** `GET`. */
  get(url: string | URL, init?: MtlsRequestInit): Promise<Response>;
  /** `DELETE`. */
  delete(url: string | URL, init?: MtlsRequestInit): Promise<Response>;
  /** `POST` with a body (objects are sent as JSON). */
  post(url: string | URL, body?: MtlsRequestBody, init?: MtlsRequestInit): Promise<Response>;
  /** `PUT` with a body (objects are sent as JSON). */
  put(url: string | URL, body?: MtlsRequestBody, init?: MtlsRequestInit): Promise<Response>;
  /** `PATCH` with a body (objects are sent as JSON). */
  patch(url: string | URL, body?: MtlsRequestBody, init?: MtlsRequestInit): Promise<Response>;
  /** Closes every pooled connection; later requests fail. */
  close(): Promise<void>;
  /** `close()` for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
