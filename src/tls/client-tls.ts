// The client side of the SDK's tlsconfig: from a mode, a source and an authorizer, a
// `connect` that opens a TLS connection and resolves only once the server is authenticated
// (nothing can be written to it before), with the identity bound to the socket.
// connectMtls, createMtlsClient and the runtime entries' other clients compose it.
import { isIP, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, createSecureContext, type SecureContext, type TLSSocket } from "node:tls";
import type { Authorizer } from "../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../core/bundle/x509-bundle-source.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { MtlsClientError } from "../core/errors/mtls-client-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import type { Logger } from "../core/logger.ts";
import { createX509PeerVerifier, type X509PeerVerifier } from "../core/svid/x509/x509-peer-verifier.ts";
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";
import { checkAuthorizer, checkBundleSource, checkMode, checkSvidSource, errorCode } from "./check-options.ts";
import { type IdentityWatch, watchIdentity } from "./identity-watch.ts";
import { credentialsOf, type TlsCredentials, usableCredentials } from "./svid-credentials.ts";
import { type SpiffeTlsMode } from "../http/tls-mode.ts";
import { type PeerChainReader, peerChainOf } from "./peer-chain.ts";
import { verifyPeerOf } from "./verify-peer.ts";

/**
 * What {@link createClientTlsConfig} needs. Which fields a mode uses: `"mtls"`: `source` (its
 * SVID and its bundles) and `authorizer`; `"tls"`: `source` (its bundles only) and
 * `authorizer`; `"mtls-web"`: `source` (its SVID only) and, optionally, `ca`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface ClientTlsConfigInit {
  /** Default `"mtls"`. */
  readonly mode?: SpiffeTlsMode;
  /** The client's own X.509-SVID (`"mtls"`, `"mtls-web"`) and the bundles servers are verified with (`"mtls"`, `"tls"`); usually an `X509Source`. */
  readonly source?: Partial<X509SvidSource> & Partial<X509BundleSourceLike>;
  /** Which server SPIFFE IDs are acceptable (`"mtls"`, `"tls"`). Required there; refused (`ConfigError`) in `"mtls-web"`, where it would never run. */
  readonly authorizer?: Authorizer;
  /** `"mtls-web"`: the Web-PKI roots (PEM) the server's certificate must chain to. Default: the runtime's public roots. */
  readonly ca?: string | readonly string[];
  /** Identity loss and rotations of the client's own SVID. Silent by default. */
  readonly logger?: Logger;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

/** Per-connection options of {@link ClientTlsConfig.connect}. */
export interface ClientConnectOptions {
  /** ALPN protocols to offer, e.g. `["h2", "http/1.1"]`. */
  readonly ALPNProtocols?: readonly string[];
  /** Aborts connecting; the promise rejects with its reason. */
  readonly signal?: AbortSignal;
  /**
   * Runs the TLS handshake over this already connected socket instead of dialing
   * `host:port` (which then only names the server for SNI), e.g. the TCP connection a gRPC
   * channel opened (through a proxy, perhaps). Destroyed when the server is refused.
   */
  readonly socket?: Socket;
}

/**
 * The client side of a SPIFFE TLS mode. go-spiffe: `tlsconfig.MTLSClientConfig`,
 * `TLSClientConfig`, `MTLSWebClientConfig` (with `spiffetls.Dial`).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface ClientTlsConfig {
  /** The SPIFFE TLS mode this configuration implements. */
  readonly mode: SpiffeTlsMode;
  /**
   * Opens a TLS connection and resolves once the server is authenticated: its X.509-SVID
   * verified and its ID authorized (`"mtls"`, `"tls"`; `getPeerId(socket)` gives it), or its
   * Web-PKI certificate checked against `ca` and the host name (`"mtls-web"`). Presents the
   * workload's current SVID (`"mtls"`, `"mtls-web"`).
   *
   * @throws the source's error (e.g. `WorkloadApiError` `ERR_WORKLOAD_API_NO_IDENTITY`) or
   *   `X509SvidError` `ERR_X509_SVID_EXPIRED` when the workload has no usable SVID to present;
   *   `X509SvidError`/`AuthorizationError` when the server is refused; `MtlsClientError`
   *   `ERR_MTLS_CLIENT_HANDSHAKE_CLOSED` when the connection closed or was reset during the
   *   handshake (the runtime's error as `cause`); the runtime's TLS or socket error otherwise
   *   (e.g. `ECONNREFUSED`, a TLS alert).
   */
  connect(host: string, port: number, options?: ClientConnectOptions): Promise<TLSSocket>;
  /** The credentials new connections present now (undefined in `"tls"` mode, or while there are none). */
  currentCredentials(): TlsCredentials | undefined;
  /** Calls `listener` when the client's own SVID rotates or is lost; returns the unsubscribe function. */
  onCredentialsChange(listener: () => void): () => void;
  /** Stops following the source. */
  close(): void;
}

// One client TLS context per credentials object (so per SVID): building a context costs as
// much as a good part of a handshake, and every connection with the same SVID can share it.
const contexts = new WeakMap<TlsCredentials, SecureContext>();
let anonymous: SecureContext | undefined;

function contextOf(credentials: TlsCredentials | undefined): SecureContext {
  if (!credentials) return (anonymous ??= createSecureContext({ minVersion: "TLSv1.2" }));
  let context = contexts.get(credentials);
  if (!context) {
    context = createSecureContext({ key: credentials.key, cert: credentials.cert, minVersion: "TLSv1.2" });
    contexts.set(credentials, context);
  }
  return context;
}

/**
 * Builds the client side of a SPIFFE TLS mode (see {@link SpiffeTlsMode}).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example A TLS client that authenticates the server's SVID and presents none (go-spiffe's `TLSClientConfig`)
 * ```ts
 * import { authorizeId, createClientTlsConfig, getPeerId, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const tls = createClientTlsConfig({ mode: "tls", source, authorizer: authorizeId("spiffe://example.org/db") });
 * const socket = await tls.connect("db.internal", 5433);
 * console.log(`connected to ${getPeerId(socket)}`);
 * ```
 * @throws {ConfigError} for an invalid mode, source, authorizer or `ca`; the source's error when it has no SVID now (`"mtls"`, `"mtls-web"`).
 */
export function createClientTlsConfig(init: ClientTlsConfigInit): ClientTlsConfig {
  return createClientTlsConfigWith(peerChainOf, init);
}

/**
 * {@link createClientTlsConfig} reading each server's chain with `readPeerChain` (a runtime's
 * cheapest reader, from its profile; internal).
 */
export function createClientTlsConfigWith(readPeerChain: PeerChainReader, init: ClientTlsConfigInit): ClientTlsConfig {
  if (typeof init !== "object" || init === null) throw new InvalidArgumentError("options", `the TLS options must be { mode?, source, authorizer }, got ${describeType(init)}`);
  const mode = checkMode(init.mode);
  const presentsSvid = mode !== "tls";
  const verifiesSvid = mode !== "mtls-web";
  if (presentsSvid) checkSvidSource(init.source);
  if (verifiesSvid) {
    checkBundleSource(init.source);
    checkAuthorizer(init.authorizer, "the expected server identity: authorizeId(serverId), authorizeMemberOf(td), …");
  } else if (init.authorizer !== undefined) {
    // Never run, so never accepted: a client that seems to authorize its server must.
    throw new ConfigError("authorizer", 'mode "mtls-web" checks the server by Web PKI (ca and host name), not by SPIFFE ID, so no authorizer would run: use mode "mtls" to authorize the server\'s SPIFFE ID');
  }
  const ca = init.ca === undefined ? undefined : typeof init.ca === "string" ? [init.ca] : init.ca;
  if (ca !== undefined) {
    if (mode !== "mtls-web") throw new ConfigError("ca", `is for mode "mtls-web" only; mode "${mode}" verifies the server against the SPIFFE bundle of its trust domain`);
    if (!Array.isArray(ca) || ca.length === 0 || !ca.every((c) => typeof c === "string" && c.includes("-----BEGIN CERTIFICATE-----"))) {
      throw new ConfigError("ca", "must be PEM certificate(s): a string or a non-empty array of strings");
    }
  }
  const logger: Logger = typeof init.logger === "object" && init.logger !== null ? init.logger : {};
  const now = typeof init.now === "function" ? init.now : () => new Date();
  const listeners = new Set<() => void>();
  let watch: IdentityWatch | undefined;
  if (presentsSvid) {
    watch = watchIdentity(init.source as X509SvidSource, {
      now,
      onChange: (next, problem) => {
        if (next) logger.info?.("SPIFFE client: using X.509-SVID", { spiffeId: next.svid.id.toString(), serialNumber: next.svid.serialNumber });
        else logger.error?.("SPIFFE client: the workload has no usable X.509-SVID; new connections are refused until one arrives", { code: errorCode(problem) });
        for (const l of listeners) l();
      },
    });
    try {
      // The source must hold an SVID now (its error otherwise); an expired one refuses connections until a rotation.
      credentialsOf(init.source as X509SvidSource);
    } catch (err) {
      watch.stop();
      throw err;
    }
  }
  let verify: X509PeerVerifier | undefined;
  const verifier = (): X509PeerVerifier =>
    (verify ??= createX509PeerVerifier({ bundleSource: init.source as X509BundleSourceLike, authorizer: init.authorizer!, now }));
  const webRoots = ca ? { ca: [...ca] } : undefined;

  const connect = (host: string, port: number, options: ClientConnectOptions = {}): Promise<TLSSocket> => {
    let credentials: TlsCredentials | undefined;
    if (watch) {
      // What the source holds now, not what the last poll saw (up to IDENTITY_POLL_MS ago): a
      // dial never presents an SVID that expired or was withdrawn meanwhile, and presents a
      // rotation at once. The watch (and the listeners, e.g. a connection pool) catch up next.
      const fresh = usableCredentials(init.source as X509SvidSource, now());
      if (fresh !== watch.current()) queueMicrotask(watch.refresh);
      if (fresh instanceof Error) return Promise.reject(fresh);
      credentials = fresh;
    }
    const alpn = options.ALPNProtocols ? [...options.ALPNProtocols] : undefined;
    const connection: ConnectionOptions = {
      host,
      port,
      ...(options.socket ? { socket: options.socket } : {}),
      servername: isIP(host) ? undefined : host, // SNI only for names
      ALPNProtocols: alpn,
      minVersion: "TLSv1.2",
      ...(verifiesSvid
        ? {
            secureContext: contextOf(credentials),
            // SPIFFE: the core verifies the server's SVID; host names and system roots play no part.
            rejectUnauthorized: false,
            checkServerIdentity: () => undefined,
          }
        : {
            // mTLS-web: the runtime verifies the server's Web-PKI certificate and host name.
            key: credentials!.key,
            cert: credentials!.cert,
            ...(webRoots ?? {}),
            rejectUnauthorized: true,
          }),
    };
    return handshake(connection, options.signal, verifiesSvid ? (socket) => verifyPeerOf(socket, verifier(), readPeerChain, "server", mode).then(() => undefined) : undefined);
  };

  return {
    mode,
    connect,
    currentCredentials: () => watch?.current(),
    onCredentialsChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close(): void {
      listeners.clear();
      watch?.stop();
    },
  };
}

/**
 * Connects and resolves with the socket once `verify` (when given) accepted the server.
 * A close after the handshake does not cut verification short: the verdict stands either
 * way (a one-shot server may hang up at once) and the caller sees the closed socket.
 */
function handshake(connection: ConnectionOptions, signal: AbortSignal | undefined, verify: ((socket: TLSSocket) => Promise<void>) | undefined): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const socket = tlsConnect(connection);
    let settled = false;
    let handshakeDone = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const onError = (err: Error): void => {
      // later errors (a reset by a one-shot server) end in 'close'
      if (!handshakeDone) fail(RESETS.has((err as { code?: unknown }).code) ? closedDuringHandshake(connection, err) : err);
    };
    socket.on("error", onError);
    const onClose = (): void => {
      if (!handshakeDone) fail(closedDuringHandshake(connection)); // closed with no error: Bun, when a server's handshake timeout ran out
    };
    socket.once("close", onClose);
    socket.once("secureConnect", () => {
      handshakeDone = true;
      const done = (): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        socket.removeListener("error", onError);
        socket.removeListener("close", onClose);
        resolve(socket);
      };
      if (!verify) return done();
      verify(socket).then(done, fail);
    });
  });
}

/** The runtimes' codes of a connection the other end closed or reset (Node, Bun and Deno alike). */
const RESETS: ReadonlySet<unknown> = new Set(["ECONNRESET", "EPIPE"]);

/**
 * The error for a connection that closed or was reset before its TLS handshake completed,
 * the same on every runtime (Node, Bun and Deno report a reset with `ECONNRESET`, the
 * `cause`; Bun sometimes only closes the socket).
 */
function closedDuringHandshake(connection: ConnectionOptions, cause?: unknown): MtlsClientError {
  return new MtlsClientError(
    "ERR_MTLS_CLIENT_HANDSHAKE_CLOSED",
    `the connection to ${connection.host}:${connection.port} closed during the TLS handshake (not a TLS server, its handshake timeout ran out, or it went away)`,
    cause === undefined ? undefined : { cause },
  );
}
