// The server side of the SDK's tlsconfig: from a mode, a source, an authorizer (and, for
// mTLS-web, a Web-PKI certificate), the node:tls server options, the rotation of what the
// server presents (including withdrawing the SVID when the workload loses its identity),
// and the one post-handshake step that verifies a client. serveMtls, attachSpiffe and the
// runtime entries' other servers compose it; nothing else makes a SPIFFE server.
import { constants as cryptoConstants } from "node:crypto";
import type { SecureContextOptions, TLSSocket } from "node:tls";
import type { Authorizer } from "../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import type { Logger } from "../core/logger.ts";
import { createX509PeerVerifier, type X509PeerVerifier } from "../core/svid/x509/x509-peer-verifier.ts";
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";
import type { PeerIdentity } from "../http/peer-identity.ts";
import { checkAuthorizer, checkBundleSource, checkMode, checkSvidSource, errorCode } from "./check-options.ts";
import { watchIdentity } from "./identity-watch.ts";
import { credentialsOf } from "./svid-credentials.ts";
import { type SpiffeTlsMode, type WebCertificate, type WebCertificateSource } from "../http/tls-mode.ts";
import { type PeerChainReader, peerChainOf } from "./peer-chain.ts";
import { verifyPeerOf } from "./verify-peer.ts";
import { checkWebCertificate, webCertificateOf } from "./web-certificate.ts";

/**
 * What {@link createServerTlsConfig} needs. Which fields a mode uses:
 * `"mtls"`: `source` (its SVID and its bundles) and `authorizer`; `"tls"`: `source` (its SVID
 * only); `"mtls-web"`: `certificate`, `source` (its bundles only) and `authorizer`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface ServerTlsConfigInit {
  /** Default `"mtls"`. */
  readonly mode?: SpiffeTlsMode;
  /** The server's own X.509-SVID (`"mtls"`, `"tls"`) and the bundles clients are verified with (`"mtls"`, `"mtls-web"`); usually an `X509Source`. */
  readonly source?: Partial<X509SvidSource> & Partial<X509BundleSourceLike>;
  /** Which verified clients may connect (`"mtls"`, `"mtls-web"`). Required there; refused (`ConfigError`) in `"tls"`, where it would never run. */
  readonly authorizer?: Authorizer;
  /** `"mtls-web"`: the Web-PKI key and certificate chain the server presents (or a source of them that announces renewals). */
  readonly certificate?: WebCertificate | WebCertificateSource;
  /** ALPN protocols to offer, e.g. `["h2", "http/1.1"]`. Default: none. */
  readonly ALPNProtocols?: readonly string[];
  /** Identity loss (error, once per loss), its return and rotations (info), refused clients (debug). Silent by default. */
  readonly logger?: Logger;
  /** Called once each time the workload loses its identity (the server then refuses new handshakes). */
  readonly onIdentityLost?: (error: Error) => void;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

/** `node:tls` server options that leave every trust decision to the SDK. */
export interface ServerTlsOptions {
  /** The server's private key, PEM (of its current SVID, or of its Web certificate in `"mtls-web"`). */
  readonly key: string;
  /** The server's certificate chain, PEM, leaf first. */
  readonly cert: string;
  /** `true` in `"mtls"` and `"mtls-web"`: a client certificate is requested. */
  readonly requestCert: boolean;
  /** Always `false`: OpenSSL (or the runtime) never judges the client; the SDK does. */
  readonly rejectUnauthorized: false;
  /** TLS 1.2 or newer. */
  readonly minVersion: "TLSv1.2";
  /** `SSL_OP_NO_TICKET`: no session resumption, so every connection proves its identity again. */
  readonly secureOptions: number;
  /** ALPN protocols to offer (e.g. `["h2", "http/1.1"]`), when given. */
  readonly ALPNProtocols?: string[];
}

/** A server that can present a new certificate to new handshakes (`tls.Server`, `https.Server`, `Http2SecureServer`). */
export interface PresentingServer {
  /** Replaces the certificate and key that new handshakes present. */
  setSecureContext(options: SecureContextOptions): void;
}

/**
 * The server side of a SPIFFE TLS mode: options to create a `node:tls`-based server with,
 * `present` to keep it presenting the current certificate, and `verifyClient`, the one
 * post-handshake step. go-spiffe: `tlsconfig.MTLSServerConfig`, `TLSServerConfig`,
 * `MTLSWebServerConfig`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface ServerTlsConfig {
  /** The SPIFFE TLS mode this configuration implements. */
  readonly mode: SpiffeTlsMode;
  /** Options for `tls.createServer`, `https.createServer` or `http2.createSecureServer`, with the certificate of now. */
  readonly options: ServerTlsOptions;
  /** Whether clients must present an X.509-SVID (`"mtls"`, `"mtls-web"`). */
  readonly authenticatesClients: boolean;
  /** Whether the workload has a usable identity now (the SVID, or in `"mtls-web"` the Web certificate). */
  readonly ready: boolean;
  /**
   * Keeps `server` presenting the current certificate: every rotation reaches new handshakes
   * (open connections go on); when the workload loses its identity (no SVID, or it expired
   * unrotated), new handshakes fail with a TLS alert within a second until an SVID returns.
   * `contextOptions` (ciphers, …) are re-applied with every certificate. Returns `stop`.
   */
  present(server: PresentingServer, contextOptions?: SecureContextOptions): () => void;
  /**
   * Verifies the client of a socket whose handshake completed and binds its identity to the
   * socket (`getPeerIdentity(socket)`). `undefined` in `"tls"` mode (clients are not
   * authenticated by TLS).
   *
   * @throws {X509SvidError} the client sent no certificate, or not a valid X.509-SVID.
   * @throws {AuthorizationError} the authorizer refused its SPIFFE ID.
   */
  verifyClient(socket: TLSSocket): Promise<PeerIdentity | undefined>;
  /** Stops following the sources (also done by the `stop` of every `present`). */
  close(): void;
}

/**
 * Builds the server side of a SPIFFE TLS mode (see {@link SpiffeTlsMode}).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example A TLS server for JWT-SVID callers (go-spiffe's `TLSServerConfig`)
 * ```ts
 * import { createServer } from "node:https";
 * import { createServerTlsConfig, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const tls = createServerTlsConfig({ mode: "tls", source });
 * const server = createServer(tls.options, (req, res) => res.end("hello"));
 * tls.present(server);
 * server.listen(8443);
 * ```
 * @throws {ConfigError} for an invalid mode, source, authorizer or certificate; the source's error when it has no SVID now.
 */
export function createServerTlsConfig(init: ServerTlsConfigInit): ServerTlsConfig {
  return createServerTlsConfigWith(peerChainOf, init);
}

/**
 * {@link createServerTlsConfig} reading each client's chain with `readPeerChain` (a runtime's
 * cheapest reader, from its profile; internal).
 */
export function createServerTlsConfigWith(readPeerChain: PeerChainReader, init: ServerTlsConfigInit): ServerTlsConfig {
  if (typeof init !== "object" || init === null) throw new InvalidArgumentError("options", `the TLS options must be { mode?, source, authorizer }, got ${describeType(init)}`);
  const mode = checkMode(init.mode);
  const authenticatesClients = mode !== "tls";
  const presentsSvid = mode !== "mtls-web";
  if (presentsSvid) checkSvidSource(init.source);
  if (authenticatesClients) {
    checkBundleSource(init.source);
    checkAuthorizer(init.authorizer, "which clients may connect: authorizeAny(), authorizeId(id), authorizeMemberOf(td), …");
  } else if (init.authorizer !== undefined) {
    // Never run, so never accepted: a server that seems to authorize its clients must.
    throw new ConfigError("authorizer", 'mode "tls" does not authenticate clients, so no authorizer would run: authorize callers by their JWT-SVIDs (requireJwtSvid, requireAuthorized) or use mode "mtls"');
  }
  if (mode === "mtls-web") checkWebCertificate(init.certificate);
  else if (init.certificate !== undefined) throw new ConfigError("certificate", `is for mode "mtls-web" only; mode "${mode}" presents the source's X.509-SVID`);
  const alpn = init.ALPNProtocols;
  if (alpn !== undefined && (!Array.isArray(alpn) || alpn.length === 0 || !alpn.every((p) => typeof p === "string" && p !== ""))) {
    throw new ConfigError("ALPNProtocols", `must be a non-empty array of protocol names, got ${JSON.stringify(alpn)}`);
  }
  const logger: Logger = typeof init.logger === "object" && init.logger !== null ? init.logger : {};
  const now = typeof init.now === "function" ? init.now : () => new Date();
  const secureOptions = cryptoConstants.SSL_OP_NO_TICKET;

  // What the server presents: the SVID (followed for rotation and loss) or the Web certificate.
  type Presented = { key: string; cert: string } | undefined;
  const listeners = new Set<(p: Presented) => void>();
  const announce = (p: Presented): void => {
    for (const l of listeners) l(p);
  };
  const reportLoss = (problem: Error | undefined): void => {
    logger.error?.("SPIFFE server: the workload has no usable X.509-SVID; refusing new handshakes until one arrives", { code: errorCode(problem) });
    try {
      init.onIdentityLost?.(problem ?? new WorkloadApiError("ERR_WORKLOAD_API_NO_IDENTITY", "the source holds no X.509-SVID"));
    } catch {
      // the caller's problem
    }
  };
  let presented: () => Presented;
  let initialPem: { key: string; cert: string } | undefined;
  let stopFollowing: () => void;
  if (presentsSvid) {
    const source = init.source as X509SvidSource;
    const watch = watchIdentity(source, {
      now,
      onChange: (next, problem) => {
        if (next) {
          logger.info?.("SPIFFE server: presenting X.509-SVID", { spiffeId: next.svid.id.toString(), serialNumber: next.svid.serialNumber, expiresAt: next.svid.expiresAt.toISOString() });
        } else {
          reportLoss(problem);
        }
        announce(next && { key: next.key, cert: next.cert });
      },
    });
    // The source must hold an SVID now (its error otherwise); one that already expired
    // starts the server in the lost state: it refuses handshakes until a rotation.
    let held: ReturnType<typeof credentialsOf>;
    try {
      held = credentialsOf(source);
    } catch (err) {
      watch.stop(); // no server: stop following the source (its poll and onUpdate listener)
      throw err;
    }
    initialPem = { key: held.key, cert: held.cert };
    if (!watch.current()) reportLoss(watch.problem());
    presented = () => {
      const c = watch.current();
      return c && { key: c.key, cert: c.cert };
    };
    stopFollowing = watch.stop;
  } else {
    const web = webCertificateOf(init.certificate!);
    presented = web.current;
    stopFollowing = web.follow((p) => announce(p));
    initialPem = web.current();
  }

  const initial = initialPem ?? presented()!;
  const bundleSource = init.source as X509BundleSourceLike;
  let verify: X509PeerVerifier | undefined;
  const verifier = (): X509PeerVerifier => (verify ??= createX509PeerVerifier({ bundleSource, authorizer: init.authorizer!, now }));
  let closed = false;

  return {
    mode,
    authenticatesClients,
    get ready(): boolean {
      return presented() !== undefined;
    },
    options: Object.freeze({
      key: initial.key,
      cert: initial.cert,
      requestCert: authenticatesClients,
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      secureOptions,
      ...(alpn ? { ALPNProtocols: [...alpn] } : {}),
    }),
    present(server: PresentingServer, contextOptions: SecureContextOptions = {}): () => void {
      // setSecureContext replaces the whole context: pass the other options again (or
      // session tickets come back). Without a certificate every handshake fails with an alert.
      const options = { ...contextOptions, minVersion: contextOptions.minVersion ?? "TLSv1.2", secureOptions: Number(contextOptions.secureOptions ?? 0) | secureOptions };
      const apply = (p: Presented): void => server.setSecureContext(p ? { ...options, key: p.key, cert: p.cert } : options);
      apply(presented());
      listeners.add(apply);
      return () => void listeners.delete(apply);
    },
    async verifyClient(socket: TLSSocket): Promise<PeerIdentity | undefined> {
      if (!authenticatesClients) return undefined;
      return await verifyPeerOf(socket, verifier(), readPeerChain, "client", mode);
    },
    close(): void {
      if (closed) return;
      closed = true;
      listeners.clear();
      stopFollowing();
    },
  };
}
