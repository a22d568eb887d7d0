/**
 * How a SPIFFE TLS connection authenticates its two sides (go-spiffe's `tlsconfig` modes):
 *
 * | mode | server presents | client presents | server checks the client | client checks the server |
 * |---|---|---|---|---|
 * | `"mtls"` (default) | its X.509-SVID | its X.509-SVID | X.509-SVID + authorizer | X.509-SVID + authorizer |
 * | `"tls"` | its X.509-SVID | nothing | nothing (use JWT-SVIDs, `requireJwtSvid`) | X.509-SVID + authorizer |
 * | `"mtls-web"` | a Web-PKI certificate | its X.509-SVID | X.509-SVID + authorizer | Web PKI (roots, host name) |
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export type SpiffeTlsMode = "mtls" | "tls" | "mtls-web";

export const TLS_MODES: readonly SpiffeTlsMode[] = ["mtls", "tls", "mtls-web"];

/**
 * A Web-PKI private key and certificate chain (leaf first), PEM: what a server presents in
 * mode `"mtls-web"`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface WebCertificate {
  /** The private key, PEM. */
  readonly key: string;
  /** The certificate chain, PEM, leaf first. */
  readonly cert: string;
}

/**
 * A Web-PKI certificate that gets renewed (e.g. by an ACME client): the server presents
 * `getCertificate()` and follows `onUpdate` to present each renewal to new handshakes.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface WebCertificateSource {
  /** The certificate to present now. */
  getCertificate(): WebCertificate;
  /** Calls `listener` after each renewal; returns the unsubscribe function. */
  onUpdate?(listener: () => void): () => void;
}
