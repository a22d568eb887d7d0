import { constants as cryptoConstants } from "node:crypto";
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from "node:tls";
import type { Authorizer } from "../../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../../core/bundle/x509-bundle-source.ts";
import { ConfigError } from "../../core/errors/config-error.ts";
import { SpiffeError } from "../../core/errors/spiffe-error.ts";
import type { Logger } from "../../core/logger.ts";
import { createX509PeerVerifier } from "../../core/svid/x509/x509-peer-verifier.ts";
import type { X509SvidSource } from "../../core/svid/x509/x509-svid-source.ts";
import { checkFunction, checkSource, int } from "./options.ts";
import { peerChainOf } from "./peer-chain.ts";
import { credentialsOf, type TlsCredentials, watchCredentials } from "./svid-credentials.ts";
import { PEER, type VerifiedTlsSocket } from "./verified-connect.ts";

/**
 * Options of {@link attachSpiffe}. The object returned by `createServerTlsOptions` (or
 * your spread of it) fits: pass the same object to `createServer` and to `attachSpiffe`.
 * Its TLS context options (`ciphers`, `minVersion`, `ca`, `secureOptions`, …) are
 * re-applied with every rotated SVID, as is what the server itself kept of them
 * (Node and Bun keep them on the server, Deno does not).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface AttachSpiffeOptions
  extends Pick<SecureContextOptions, "ca" | "crl" | "ciphers" | "sigalgs" | "ecdhCurve" | "dhparam" | "honorCipherOrder" | "minVersion" | "maxVersion" | "secureProtocol" | "sessionIdContext" | "secureOptions"> {
  /** The server's own X.509-SVID and the bundles to verify clients with; usually an `X509Source`. */
  readonly source: X509SvidSource & X509BundleSourceLike;
  /** Which verified clients may connect (e.g. `authorizeMemberOf("example.org")`). Required. */
  readonly authorizer: Authorizer;
  /** Refused clients (debug), rotations (info), a source without SVID (warn). Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
  /** A connection whose verification (including an async authorizer) takes longer is closed, ms. Default 10 000; 0 = no limit. */
  readonly verifyTimeoutMs?: number;
}

/** Properties that `node:tls` servers keep from their options and that `setSecureContext` would otherwise reset. */
const CONTEXT_OPTIONS = ["ca", "crl", "ciphers", "sigalgs", "ecdhCurve", "dhparam", "honorCipherOrder", "minVersion", "maxVersion", "secureProtocol", "sessionIdContext"] as const;

const ATTACHED = Symbol.for("@spiffe-ts/sdk/attach-spiffe");

type ServerInternals = TlsServer & { [ATTACHED]?: true } & Record<string, unknown>;

/**
 * Turns a `node:tls`-based server (`https.Server`, `http2.createSecureServer`,
 * `tls.Server`; Express, Fastify, Connect, gRPC on top of them) into a SPIFFE mTLS server:
 *
 * - it presents the source's current X.509-SVID now and after every rotation
 *   (`server.setSecureContext`, keeping the server's other TLS options; session tickets
 *   are switched off so every connection proves its SVID again);
 * - every connection is verified right after its handshake (`verifyX509Svid` against the
 *   bundle of the client's trust domain, then the authorizer) and is handed to the
 *   server's `secureConnection` listeners, and so to the HTTP layer, only once accepted:
 *   refused sockets are destroyed before a byte of the request is read. Listeners of
 *   `secureConnection` see verified sockets only, whenever they were added.
 *
 * The verified identity is read in handlers with `getPeerId(req)` / `getPeerIdentity(req)`.
 * The server must request a client certificate and leave its verification to the SDK
 * (`requestCert: true, rejectUnauthorized: false`): `createServerTlsOptions` builds such
 * options. Returns the same server. Stops following the source when the server closes.
 *
 * Unsupported: Bun's `node:https` server, which neither exposes the client certificate
 * nor supports `setSecureContext` (a `ConfigError` says so). On Bun use
 * `http2.createSecureServer({ allowHTTP1: true, ... })` (serves HTTP/1.1 too) or `serveMtls`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example HTTP/2 (and HTTP/1.1) with `node:http2`
 * ```ts
 * import { createSecureServer } from "node:http2";
 * import { authorizeMemberOf, X509Source } from "@spiffe-ts/sdk";
 * import { attachSpiffe, createServerTlsOptions, getPeerId } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const options = createServerTlsOptions(source, authorizeMemberOf("example.org"));
 * const server = createSecureServer({ ...options, allowHTTP1: true }, (req, res) => res.end(`hello ${getPeerId(req)}`));
 * attachSpiffe(server, options).listen(8443);
 * ```
 * @throws {ConfigError} `ERR_CONFIG_INVALID_OPTION` (option `"server"`) when the server cannot be made a SPIFFE server (not `node:tls`-based, Bun's `https.Server`, no `requestCert: true`, `rejectUnauthorized` not `false`, already attached), or for invalid options; the source's error when it has no SVID.
 */
export function attachSpiffe<S extends TlsServer>(server: S, options: AttachSpiffeOptions): S {
  if (typeof options !== "object" || options === null) throw new ConfigError("options", "attachSpiffe needs { source, authorizer }");
  checkSource(options.source);
  checkFunction("authorizer", options.authorizer, "use authorizeAny(), authorizeId(id), authorizeMemberOf(td), …");
  const verifyTimeoutMs = int("verifyTimeoutMs", options.verifyTimeoutMs, 10_000, 0, 86_400_000);
  const logger: Logger = typeof options.logger === "object" && options.logger !== null ? options.logger : {};
  const s = checkServer(server);
  const { source } = options;

  // Rotation: setSecureContext replaces the whole context, so pass the server's other TLS options along.
  const given = options as unknown as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const k of CONTEXT_OPTIONS) if ((s[k] ?? given[k]) !== undefined) kept[k] = s[k] ?? given[k];
  const secureOptions = Number(s.secureOptions ?? given.secureOptions ?? 0) | cryptoConstants.SSL_OP_NO_TICKET;
  const present = (c: TlsCredentials): void => s.setSecureContext({ ...kept, key: c.key, cert: c.cert, secureOptions });
  let credentials = credentialsOf(source);
  present(credentials);
  const unwatch = watchCredentials(source, () => credentials.svid, (next) => {
    present(next);
    credentials = next;
    logger.info?.("attachSpiffe: presenting rotated X.509-SVID", { spiffeId: next.svid.id.toString(), serialNumber: next.svid.serialNumber, expiresAt: next.svid.expiresAt.toISOString() });
  }, (err) => logger.warn?.("attachSpiffe: source has no X.509-SVID; presenting the previous one", { code: codeOf(err) }));
  s.once("close", unwatch);

  const verify = createX509PeerVerifier({ bundleSource: source, authorizer: options.authorizer, now: options.now });
  const accept = async (socket: VerifiedTlsSocket): Promise<boolean> => {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const chain = typeof socket.getPeerCertificate === "function" ? peerChainOf(socket) : [];
    if (chain.length === 0) {
      logger.debug?.("attachSpiffe: refused connection without a client certificate", { remote });
      return false;
    }
    try {
      const peer = await verify(chain);
      if (socket.destroyed) return false;
      socket[PEER] = Object.freeze({ id: peer.id, mechanism: "x509-svid", certificates: Object.freeze([...peer.verifiedChain]) });
      return true;
    } catch (err) {
      logger.debug?.("attachSpiffe: refused client", { remote, code: codeOf(err), reason: err instanceof Error ? err.message : String(err) });
      return false;
    }
  };

  // Hold each new TLS connection until it is verified: the HTTP layer (and any other
  // `secureConnection` listener) only sees it through this emit. A listener alone could
  // not hold it: Node's HTTP servers start parsing as soon as their own listener runs.
  const emit = s.emit;
  s.emit = function (this: TlsServer, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== "secureConnection") return Reflect.apply(emit, this, [event, ...args]) as boolean;
    const socket = args[0] as TLSSocket;
    const onError = (): void => {}; // reported through 'close'; never crash the process while held
    socket.on("error", onError);
    const deadline = verifyTimeoutMs ? setTimeout(() => socket.destroy(), verifyTimeoutMs) : undefined;
    void accept(socket).then((ok) => {
      clearTimeout(deadline);
      if (!ok || socket.destroyed) return void socket.destroy();
      socket.removeListener("error", onError);
      Reflect.apply(emit, this, [event, ...args]);
    });
    return true;
  };
  s[ATTACHED] = true;
  return server;
}

function checkServer(server: unknown): ServerInternals {
  if (typeof server !== "object" || server === null || typeof (server as { emit?: unknown }).emit !== "function" || typeof (server as { listen?: unknown }).listen !== "function") {
    throw new ConfigError("server", "must be a node:tls-based server (https.createServer, http2.createSecureServer or tls.createServer)");
  }
  const s = server as ServerInternals;
  if (typeof s.setSecureContext !== "function") {
    throw new ConfigError("server", "has no setSecureContext(): not a node:tls-based server. On Bun, node:https servers expose neither the client certificate nor setSecureContext; use http2.createSecureServer({ allowHTTP1: true, ...createServerTlsOptions(...) }) or serveMtls instead");
  }
  if (s[ATTACHED]) throw new ConfigError("server", "attachSpiffe was already called on this server");
  if ((s.requestCert ?? s._requestCert) !== true) {
    throw new ConfigError("server", "must be created with requestCert: true, or clients never send their certificate (use createServerTlsOptions)");
  }
  if ((s.rejectUnauthorized ?? s._rejectUnauthorized) !== false) {
    throw new ConfigError("server", "must be created with rejectUnauthorized: false: the SDK verifies clients against the SPIFFE bundle, which OpenSSL's fixed `ca` (or system roots) cannot follow (use createServerTlsOptions)");
  }
  return s;
}

function codeOf(err: unknown): string {
  if (err instanceof SpiffeError) return err.code;
  return err instanceof Error ? err.name : typeof err;
}
