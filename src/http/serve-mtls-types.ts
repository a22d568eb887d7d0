import type { Authorizer } from "../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import type { Logger } from "../core/logger.ts";
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";
import type { PeerIdentity } from "./peer-identity.ts";

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
 * Exported from `@spiffe-ts/sdk`.
 */
export type MtlsFetchHandler = (request: Request, context: MtlsRequestContext) => Response | Promise<Response>;

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
 * Options of `serveMtls` (the same on `@spiffe-ts/sdk/node`, `/bun` and `/deno`).
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface ServeMtlsOptions {
  /** The server's own X.509-SVID and the bundles to verify clients with; usually an `X509Source`. */
  readonly source: X509SvidSource & X509BundleSourceLike;
  /** Which verified clients may connect (e.g. `authorizeMemberOf("example.org")`). Required. */
  readonly authorizer: Authorizer;
  /** The request handler. */
  readonly fetch: MtlsFetchHandler;
  /** TCP port; 0 picks a free one. Default 8443. */
  readonly port?: number;
  /** Address to bind. Default `"0.0.0.0"`. */
  readonly hostname?: string;
  /** A separate plain-HTTP listener for probes: `/healthz` and SVID-aware `/readyz`. */
  readonly health?: { readonly port: number; readonly hostname?: string };
  /** Timeouts; see {@link MtlsServerTimeouts} for defaults. */
  readonly timeouts?: MtlsServerTimeouts;
  /** Refused handshakes (debug), handler errors (error), rotations (info). Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification and `/readyz`, for tests. */
  readonly now?: () => Date;
}

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
