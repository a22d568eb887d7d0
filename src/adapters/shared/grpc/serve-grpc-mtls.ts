// A grpc-js Server served over SPIFFE mTLS: the SDK's own node:tls server (src/tls: what it
// presents, rotation, identity loss, the one step that verifies a client) accepts each
// connection, verifies the client, and only then injects the socket into the grpc-js
// server (`server.createConnectionInjector`), whose HTTP/2 layer never sees an unverified
// connection. An interceptor puts each call's verified caller where getPeerId(call) reads it.
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Authorizer } from "../../../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../../../core/bundle/x509-bundle-source.ts";
import { ConfigError } from "../../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";
import { refuseArgument } from "../../../core/lib/refuse.ts";
import type { Logger } from "../../../core/logger.ts";
import type { X509SvidSource } from "../../../core/svid/x509/x509-svid-source.ts";
import { bindPeerIdentity, type PeerIdentity } from "../../../http/peer-identity.ts";
import { errorCode } from "../../../tls/check-options.ts";
import { createServerTlsConfig } from "../../../tls/server-tls.ts";
import { listen } from "../listen.ts";
import { int } from "../options.ts";
import { checkGrpcModule, type GrpcConnectionInfo, type GrpcInterceptedCall, type GrpcInterceptingCallConstructor, type GrpcJsModule, type GrpcServerLike } from "./grpc-module.ts";

/**
 * Options of {@link serveGrpcMtls}.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface ServeGrpcMtlsOptions {
  /** The server's own X.509-SVID and the bundles clients are verified with; usually an `X509Source`. */
  readonly source: X509SvidSource & X509BundleSourceLike;
  /** Which verified clients may connect, e.g. `authorizeMemberOf("example.org")`. Required. */
  readonly authorizer: Authorizer;
  /** TCP port; 0 (the default) picks a free one (see `port` of the result). */
  readonly port?: number;
  /** Interface to listen on. Default `"0.0.0.0"`. */
  readonly hostname?: string;
  /** A connection that has not completed its handshake and verification by then is closed, ms. Default 10 000. */
  readonly handshakeTimeoutMs?: number;
  /** Refused clients (debug), rotations (info), identity loss (error). Silent by default. */
  readonly logger?: Logger;
  /** Called once each time the workload loses its identity (new handshakes then fail until an SVID returns). */
  readonly onIdentityLost?: (error: Error) => void;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
}

/**
 * A grpc-js server listening over SPIFFE mTLS (see {@link serveGrpcMtls}).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface GrpcMtlsServer {
  /** The bound TCP port. */
  readonly port: number;
  /**
   * Stops accepting connections; open ones get a GOAWAY (calls in flight finish) and are
   * closed after `graceMs` (default 10 000). The grpc-js `Server` itself stays usable.
   * Rejects with `InvalidArgumentError` `ERR_INVALID_ARGUMENT` (argument `"options.graceMs"`)
   * unless `graceMs` is an integer from 0 to 600 000.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
  /** The same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Serves a `@grpc/grpc-js` `Server` over SPIFFE mTLS (go-spiffe: `grpccredentials.MTLSServerCredentials`
 * with `grpc.Creds`). Instead of `server.bindAsync(address, credentials)`, the SDK listens
 * itself: each connection presents the source's current X.509-SVID (rotations reach new
 * handshakes, no restart), and the client's chain is verified against the bundle of the
 * client's trust domain and its SPIFFE ID authorized before the connection is handed to
 * grpc-js (`server.createConnectionInjector`, grpc-js 1.13+): refused clients never reach
 * a handler. Handlers read the caller with `getPeerId(call)` / `getPeerIdentity(call)`.
 * The SDK does not import grpc-js: pass your module. Runs on Node.js, Bun and Deno.
 *
 * @example
 * ```ts
 * import * as grpc from "@grpc/grpc-js";
 * import { authorizeMemberOf, getPeerId, serveGrpcMtls, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const server = new grpc.Server();
 * // server.addService(GreeterService, { greet: (call, callback) => callback(null, { text: `hello ${getPeerId(call)}` }) });
 * const listening = await serveGrpcMtls(grpc, server, { source, authorizer: authorizeMemberOf("example.org"), port: 50051 });
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` when `grpc` is not grpc-js 1.13+, `server` is not its `Server` or `options` is not an object; a {@link ConfigError} (same code) for an invalid option; the source's error when it has no SVID; the listen error (e.g. `EADDRINUSE`).
 */
export async function serveGrpcMtls<G extends GrpcJsModule>(grpc: G, server: InstanceType<G["Server"]>, options: ServeGrpcMtlsOptions): Promise<GrpcMtlsServer> {
  checkGrpcModule(grpc);
  if (!((server as object) instanceof grpc.Server) || typeof (server as Partial<GrpcServerLike>).createConnectionInjector !== "function") {
    throw new InvalidArgumentError("server", `serveGrpcMtls: server must be a Server of the given @grpc/grpc-js module (new grpc.Server()), version 1.13 or later, got ${describeType(server)}`);
  }
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `serveGrpcMtls needs { source, authorizer }, got ${describeType(options)}`);
  const port = int("port", options.port, 0, 0, 65535);
  const handshakeMs = int("handshakeTimeoutMs", options.handshakeTimeoutMs, 10_000, 1, 600_000);
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof hostname !== "string" || hostname === "") throw new ConfigError("hostname", `must be a host name or IP address, got ${JSON.stringify(hostname)}`);
  const logger: Logger = typeof options.logger === "object" && options.logger !== null ? options.logger : {};
  const tls = createServerTlsConfig({ mode: "mtls", source: options.source, authorizer: options.authorizer, ALPNProtocols: ["h2"], logger, onIdentityLost: options.onIdentityLost, now: options.now });

  // Verified connections by their TCP 4-tuple, unique among live connections: the one link
  // grpc-js gives interceptors from a call to its connection (getConnectionInfo()).
  const verified = new Map<string, PeerIdentity>();
  const injector = (server as GrpcServerLike).createConnectionInjector(callerCredentials(grpc, verified) as never);
  const tlsServer = createTlsServer({ ...tls.options, handshakeTimeout: handshakeMs });
  const stopPresenting = tls.present(tlsServer);
  const sockets = new Set<TLSSocket>();
  let closing = false;

  tlsServer.on("secureConnection", (socket: TLSSocket) => {
    if (closing) return void socket.destroy();
    sockets.add(socket);
    socket.on("error", () => {}); // reported through 'close'; never crash the process
    const deadline = setTimeout(() => socket.destroy(), handshakeMs);
    let key: string | undefined;
    socket.once("close", () => {
      clearTimeout(deadline);
      sockets.delete(socket);
      if (key !== undefined) verified.delete(key);
    });
    tls.verifyClient(socket).then((peer) => {
      clearTimeout(deadline);
      if (socket.destroyed || closing || !peer) return void socket.destroy();
      key = connectionKey(socket);
      verified.set(key, peer);
      injector.injectConnection(socket);
    }, (err: unknown) => {
      clearTimeout(deadline);
      logger.debug?.("serveGrpcMtls: refused client", { remote: `${socket.remoteAddress}:${socket.remotePort}`, code: errorCode(err), reason: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    });
  });
  tlsServer.on("tlsClientError", (err: Error & { code?: string }, socket?: TLSSocket) => {
    logger.debug?.("serveGrpcMtls: TLS handshake failed", { code: err.code ?? err.name });
    socket?.destroy();
  });

  let bound: number;
  try {
    bound = await listen(tlsServer, port, hostname);
  } catch (err) {
    stopPresenting();
    tls.close();
    injector.destroy();
    throw err;
  }

  let closed: Promise<void> | undefined;
  const close = (opts: { readonly graceMs?: number } = {}): Promise<void> => {
    let graceMs: number;
    try {
      graceMs = int("options.graceMs", opts?.graceMs, 10_000, 0, 600_000, refuseArgument);
    } catch (err) {
      return Promise.reject(err);
    }
    closed ??= (async () => {
      closing = true;
      stopPresenting();
      tls.close();
      const stopped = new Promise<void>((resolve) => tlsServer.close(() => resolve()));
      injector.drain(graceMs);
      const drained = new Promise<void>((resolve) => {
        const check = (): void => void (sockets.size === 0 && resolve());
        for (const s of sockets) s.once("close", check);
        check();
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      injector.destroy();
      await stopped;
    })();
    return closed;
  };
  return { port: bound, close, [Symbol.asyncDispose]: () => close() };
}

function connectionKey(c: GrpcConnectionInfo): string {
  return `${c.localAddress}|${c.localPort}|${c.remoteAddress}|${c.remotePort}`;
}

/**
 * Plaintext server credentials for the injector (TLS is done before injection) whose one
 * interceptor binds each call's verified caller to the call's metadata object, which the
 * handler receives as `call.metadata` (`getPeerIdentity(call)` reads it there). A call on a
 * connection with no verified caller is answered `UNAUTHENTICATED`.
 */
function callerCredentials(grpc: GrpcJsModule, verified: ReadonlyMap<string, PeerIdentity>): object {
  const InterceptingCall = grpc.ServerInterceptingCall as unknown as GrpcInterceptingCallConstructor;
  const unauthenticated = grpc.status.UNAUTHENTICATED;
  const interceptor = (_method: unknown, call: GrpcInterceptedCall): object =>
    new InterceptingCall(call, {
      start(next) {
        const peer = verified.get(connectionKey(call.getConnectionInfo()));
        if (!peer) return call.sendStatus({ code: unauthenticated, details: "no verified SPIFFE caller for this connection" });
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            bindPeerIdentity(metadata, peer);
            nextMetadata(metadata);
          },
        });
      },
    });
  const Base = grpc.ServerCredentials as abstract new (serverConstructorOptions: null) => object;
  class SpiffeCallerCredentials extends Base {
    constructor() {
      super(null); // plaintext HTTP/2 on the verified TLS socket
    }

    _equals(other: object): boolean {
      return other === this;
    }

    _getInterceptors(): unknown[] {
      return [interceptor];
    }
  }
  return new SpiffeCallerCredentials();
}
