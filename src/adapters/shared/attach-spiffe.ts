import { Server as HttpsServer } from "node:https";
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from "node:tls";
import type { Authorizer } from "../../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../../core/bundle/x509-bundle-source.ts";
import { InvalidArgumentError } from "../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../core/lib/describe-type.ts";
import type { Logger } from "../../core/logger.ts";
import type { X509SvidSource } from "../../core/svid/x509/x509-svid-source.ts";
import { bindPeerIdentity, type PeerIdentity } from "../../http/peer-identity.ts";
import { errorCode } from "../../tls/check-options.ts";
import { createServerTlsConfig } from "../../tls/server-tls.ts";
import { int } from "./options.ts";
import { IntegrationError } from "../../core/errors/integration-error.ts";

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
  /** Refused clients (debug), rotations (info), identity loss (error). Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
  /** A connection whose verification (including an async authorizer) takes longer is closed, ms. Default 10 000; 0 = no limit. */
  readonly verifyTimeoutMs?: number;
  /** Called once each time the workload loses its identity (new handshakes then fail until an SVID returns). */
  readonly onIdentityLost?: (error: Error) => void;
}

/** Properties that `node:tls` servers keep from their options and that `setSecureContext` would otherwise reset. */
const CONTEXT_OPTIONS = ["ca", "crl", "ciphers", "sigalgs", "ecdhCurve", "dhparam", "honorCipherOrder", "minVersion", "maxVersion", "secureProtocol", "sessionIdContext"] as const;

const attached = new WeakSet<object>();

type ServerInternals = TlsServer & Record<string, unknown>;

/**
 * Turns a `node:tls`-based server (`https.Server`, `http2.createSecureServer`,
 * `tls.Server`; Express, Fastify, Connect, gRPC on top of them) into a SPIFFE mTLS server:
 *
 * - it presents the source's current X.509-SVID now and after every rotation
 *   (`server.setSecureContext`, keeping the server's other TLS options; session tickets
 *   are switched off so every connection proves its SVID again), and refuses new handshakes
 *   while the workload has no usable SVID (see `createServerTlsConfig`);
 * - every connection is verified right after its handshake (`verifyX509Svid` against the
 *   bundle of the client's trust domain, then the authorizer) and is handed to the
 *   server's `secureConnection` listeners, and so to the HTTP layer, only once accepted:
 *   refused sockets are destroyed before a byte of the request is read. A `secureConnection`
 *   listener added after `attachSpiffe` is refused with an `InvalidArgumentError` (it would see
 *   connections before they are verified).
 *
 * The verified identity is read in handlers with `getPeerId(req)` / `getPeerIdentity(req)`.
 * The server must request a client certificate and leave its verification to the SDK
 * (`requestCert: true, rejectUnauthorized: false`): `createServerTlsOptions` builds such
 * options. Returns the same server. Stops following the source when the server closes.
 *
 * Unsupported: Bun's `node:https` server, which neither exposes the client certificate
 * nor supports `setSecureContext` (an `IntegrationError` `ERR_INTEGRATION_UNSUPPORTED_RUNTIME` says so). On Bun use
 * `http2.createSecureServer({ allowHTTP1: true, ... })` (serves HTTP/1.1 too) or `serveMtls`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example HTTP/2 (and HTTP/1.1) with `node:http2`
 * ```ts
 * import { createSecureServer } from "node:http2";
 * import { attachSpiffe, authorizeMemberOf, createServerTlsOptions, getPeerId, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const options = createServerTlsOptions(source, authorizeMemberOf("example.org"));
 * const server = createSecureServer({ ...options, allowHTTP1: true }, (req, res) => res.end(`hello ${getPeerId(req)}`));
 * attachSpiffe(server, options).listen(8443);
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"server"`) when the server cannot be made a SPIFFE server (not `node:tls`-based, no `requestCert: true`, `rejectUnauthorized` not `false`, already attached), or when `options` is not an object.
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` for an invalid option (`option` names it); the source's error when it has no SVID.
 * @throws {IntegrationError} `ERR_INTEGRATION_UNSUPPORTED_RUNTIME` for this runtime's own `https.Server` where it cannot work (Bun's).
 */
export function attachSpiffe<S extends TlsServer>(server: S, options: AttachSpiffeOptions): S {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `attachSpiffe needs { source, authorizer }, got ${describeType(options)}`);
  const verifyTimeoutMs = int("verifyTimeoutMs", options.verifyTimeoutMs, 10_000, 0, 86_400_000);
  const logger: Logger = typeof options.logger === "object" && options.logger !== null ? options.logger : {};
  const s = checkServer(server);
  const tls = createServerTlsConfig({ mode: "mtls", source: options.source, authorizer: options.authorizer, logger, now: options.now, onIdentityLost: options.onIdentityLost });

  // Rotation: setSecureContext replaces the whole context, so pass the server's other TLS options along.
  const given = options as unknown as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const k of CONTEXT_OPTIONS) if ((s[k] ?? given[k]) !== undefined) kept[k] = s[k] ?? given[k];
  const secureOptions = Number(s.secureOptions ?? given.secureOptions ?? 0);
  const stopPresenting = tls.present(s, { ...kept, secureOptions } as SecureContextOptions);
  s.once("close", () => {
    stopPresenting();
    tls.close();
  });

  // Hold each new TLS connection until it is verified: the server's own `secureConnection`
  // listeners (the HTTP layer's) are taken over and called with accepted sockets only. A
  // listener alone could not hold it: Node's HTTP servers start parsing in their own listener.
  const held = s.listeners("secureConnection") as ((socket: TLSSocket) => void)[];
  s.removeAllListeners("secureConnection");
  // HTTP/2: the session of a connection is created synchronously while it is handed over.
  let handingOver: PeerIdentity | undefined;
  s.on("session", (session: object) => {
    if (handingOver) bindPeerIdentity(session, handingOver);
  });
  s.on("secureConnection", (socket: TLSSocket) => {
    const onError = (): void => {}; // reported through 'close'; never crash the process while held
    socket.on("error", onError);
    const deadline = verifyTimeoutMs ? setTimeout(() => socket.destroy(), verifyTimeoutMs) : undefined;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    tls.verifyClient(socket).then((peer) => {
      clearTimeout(deadline);
      if (socket.destroyed) return;
      socket.removeListener("error", onError);
      handingOver = peer;
      try {
        for (const listener of held) listener.call(s, socket);
      } finally {
        handingOver = undefined;
      }
    }, (err: unknown) => {
      clearTimeout(deadline);
      logger.debug?.("attachSpiffe: refused client", { remote, code: errorCode(err), reason: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    });
  });
  s.on("newListener", (event: string | symbol) => {
    if (event === "secureConnection") {
      throw new InvalidArgumentError("server", "attachSpiffe: a 'secureConnection' listener added after attachSpiffe would see connections before they are verified: add it before calling attachSpiffe");
    }
  });
  attached.add(s);
  return server;
}

function checkServer(server: unknown): ServerInternals {
  if (typeof server !== "object" || server === null || typeof (server as { emit?: unknown }).emit !== "function" || typeof (server as { listen?: unknown }).listen !== "function") {
    throw new InvalidArgumentError("server", "attachSpiffe: server must be a node:tls-based server (https.createServer, http2.createSecureServer or tls.createServer)");
  }
  const s = server as ServerInternals;
  if (typeof s.setSecureContext !== "function") {
    const instead = "use http2.createSecureServer({ allowHTTP1: true, ...createServerTlsOptions(...) }) or serveMtls instead";
    if (server instanceof HttpsServer) {
      // This runtime's own node:https server lacks it (Bun's: it exposes neither the client certificate nor setSecureContext).
      throw new IntegrationError("ERR_INTEGRATION_UNSUPPORTED_RUNTIME", "node:https", `this runtime's https.Server has no setSecureContext() and cannot expose the client certificate: ${instead}`);
    }
    throw new InvalidArgumentError("server", `attachSpiffe: server has no setSecureContext(): not a node:tls-based server; ${instead}`);
  }
  if (attached.has(s)) throw new InvalidArgumentError("server", "attachSpiffe was already called on this server");
  // Usability guards, read from the options the server keeps publicly (Node and Deno do; Bun
  // keeps them in private fields, so there a wrong server fails closed at the first client:
  // no certificate, or OpenSSL's refusal, is a refused connection).
  if (s.requestCert === false) {
    throw new InvalidArgumentError("server", "attachSpiffe: server must be created with requestCert: true, or clients never send their certificate (use createServerTlsOptions)");
  }
  if (s.rejectUnauthorized === true) {
    throw new InvalidArgumentError("server", "attachSpiffe: server must be created with rejectUnauthorized: false: the SDK verifies clients against the SPIFFE bundle, which OpenSSL's fixed `ca` (or system roots) cannot follow (use createServerTlsOptions)");
  }
  return s;
}
