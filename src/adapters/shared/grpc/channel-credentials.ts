// grpc-js channel credentials whose every connection is a SPIFFE TLS connection made by the
// SDK's client tlsconfig (src/tls): grpc-js opens the TCP connection (directly or through
// its proxy support) and hands it to our secure connector, which runs the handshake with
// the source's current SVID and resolves only once the server's X.509-SVID is verified and
// its ID authorized; grpc-js starts HTTP/2 on the socket only then.
import type { Socket } from "node:net";
import type { Authorizer } from "../../../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../../../core/bundle/x509-bundle-source.ts";
import { ConfigError } from "../../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";
import type { Logger } from "../../../core/logger.ts";
import type { X509SvidSource } from "../../../core/svid/x509/x509-svid-source.ts";
import type { SpiffeTlsMode } from "../../../http/tls-mode.ts";
import { createClientTlsConfigWith } from "../../../tls/client-tls.ts";
import type { RuntimeProfile } from "../runtime-profile.ts";
import { checkGrpcModule, type GrpcJsModule, type GrpcSecureConnector } from "./grpc-module.ts";
import { IntegrationError } from "../../../core/errors/integration-error.ts";

/**
 * Options of {@link createSpiffeChannelCredentials}.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeChannelCredentialsOptions {
  /** Default `"mtls"`; `"tls"` presents no SVID (pair it with JWT-SVIDs in call metadata). */
  readonly mode?: Exclude<SpiffeTlsMode, "mtls-web">;
  /** The client's own X.509-SVID and the bundles servers are verified with; usually an `X509Source`. */
  readonly source: Partial<X509SvidSource> & X509BundleSourceLike;
  /** Which server SPIFFE IDs are acceptable, e.g. `authorizeId("spiffe://example.org/greeter")`. */
  readonly authorizer: Authorizer;
  /** Rotations and loss of the client's own SVID. Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
}

/** The `ChannelCredentials` type of the grpc-js module `G`. */
export type GrpcChannelCredentialsOf<G extends GrpcJsModule> = InstanceType<G["ChannelCredentials"]>;

/**
 * `createSpiffeChannelCredentials(grpc, options)`: `@grpc/grpc-js` channel credentials for
 * SPIFFE mTLS (go-spiffe: `grpccredentials.MTLSClientCredentials`). Every connection of a
 * channel made with them presents the source's current X.509-SVID (rotations reach the next
 * connection, no restart), verifies the server's chain against the bundle of the server's
 * trust domain (never its host name, never system roots) and authorizes its SPIFFE ID
 * before grpc-js starts HTTP/2; a refused server fails the calls with `UNAVAILABLE` and the
 * SDK's reason in `details`. The SDK does not import grpc-js: pass your module (grpc-js
 * 1.13 or later). Runs on Node.js and Bun; refused on Deno (`IntegrationError`
 * `ERR_INTEGRATION_UNSUPPORTED_RUNTIME`), whose node:* compat stalls the process when a server
 * closes a grpc-js client's connection with calls in flight: use `createSpiffeGrpcTransport` there.
 *
 * Exported (as `createSpiffeChannelCredentials`) from `@spiffe-ts/sdk/node`, `/bun` and `/deno`.
 *
 * @throws {IntegrationError} `ERR_INTEGRATION_UNSUPPORTED_RUNTIME` where grpc-js clients cannot work (Deno).
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` when `grpc` is not grpc-js 1.13+, or for an invalid mode, source or authorizer; the source's error when it has no SVID now.
 */
export type CreateSpiffeChannelCredentials = <G extends GrpcJsModule>(grpc: G, options: SpiffeChannelCredentialsOptions) => GrpcChannelCredentialsOf<G>;

/** The shared implementation of the runtime entries' `createSpiffeChannelCredentials` (see {@link CreateSpiffeChannelCredentials}). */
export function createSpiffeChannelCredentialsWith<G extends GrpcJsModule>(profile: RuntimeProfile, grpc: G, options: SpiffeChannelCredentialsOptions): GrpcChannelCredentialsOf<G> {
  if (profile.grpcJsClientRefusal) {
    throw new IntegrationError("ERR_INTEGRATION_UNSUPPORTED_RUNTIME", "@grpc/grpc-js", `createSpiffeChannelCredentials does not work on ${profile.name}: ${profile.grpcJsClientRefusal}`);
  }
  checkGrpcModule(grpc);
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `createSpiffeChannelCredentials needs { source, authorizer }, got ${describeType(options)}`);
  if ((options.mode as string | undefined) === "mtls-web") throw new ConfigError("mode", 'gRPC credentials authenticate SPIFFE servers: use "mtls" or "tls"');
  const init = { mode: options.mode, source: options.source, authorizer: options.authorizer, logger: options.logger, now: options.now };
  createClientTlsConfigWith(profile.readPeerChain, init).close(); // checks the options (and that the source has an SVID) now, not at the first call
  const empty = grpc.CallCredentials.createEmpty();
  const Base = grpc.ChannelCredentials as abstract new () => object;

  class SpiffeChannelCredentials extends Base {
    _isSecure(): boolean {
      return true;
    }

    _equals(other: object): boolean {
      return other === this;
    }

    _createSecureConnector(target: { readonly path?: string }, _channelOptions: object, callCredentials?: object): GrpcSecureConnector {
      const host = hostOfTarget(target?.path ?? "");
      return {
        async connect(socket: Socket) {
          // One TLS config per connection: it reads the source's SVID and bundles of now.
          const tls = createClientTlsConfigWith(profile.readPeerChain, init);
          try {
            return { socket: await tls.connect(host, 443, { socket, ALPNProtocols: ["h2"] }), secure: true };
          } finally {
            tls.close();
          }
        },
        waitForReady: () => Promise.resolve(),
        getCallCredentials: () => callCredentials ?? empty,
        destroy: () => {},
      };
    }
  }
  // A real instance of the caller's ChannelCredentials (a subclass), so the type holds.
  return new SpiffeChannelCredentials() as GrpcChannelCredentialsOf<G>;
}

/** The host of a grpc-js target path (`host`, `host:port`, `[v6]:port`), for SNI only. */
function hostOfTarget(path: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(path);
  if (v6) return v6[1]!;
  const i = path.lastIndexOf(":");
  const host = i > 0 && path.indexOf(":") === i ? path.slice(0, i) : path;
  return host === "" || host.includes("/") ? "localhost" : host;
}
