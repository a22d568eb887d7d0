// The parts of @grpc/grpc-js (>= 1.13) that the SDK's gRPC integration uses, typed
// structurally: the SDK never imports grpc-js (an optional peer dependency), the caller
// hands its module in, and the types of that module flow through the generics of the
// public functions. Internal to src/adapters/shared/grpc.
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";

/**
 * The `@grpc/grpc-js` module as the SDK uses it: `import * as grpc from "@grpc/grpc-js"`
 * fits (version 1.13 or later).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface GrpcJsModule {
  /** Subclassed for the SDK's channel credentials (their secure connector runs the SDK's TLS step). */
  readonly ChannelCredentials: abstract new () => object;
  /** Subclassed for the credentials of `serveGrpcMtls`'s connection injector (plaintext HTTP/2 on verified TLS sockets, plus the caller interceptor). */
  readonly ServerCredentials: abstract new (serverConstructorOptions: null) => object;
  /** For the call credentials of channels without any. */
  readonly CallCredentials: { createEmpty(): object };
  /** For the server interceptor that hands each call its verified caller. */
  readonly ServerInterceptingCall: new (nextCall: never, responder?: never) => object;
  /** The server class `serveGrpcMtls` accepts instances of. */
  readonly Server: abstract new (...args: never[]) => object;
  /** Status codes (`UNAUTHENTICATED` for a call without a verified caller). */
  readonly status: { readonly UNAUTHENTICATED: number };
}

/** Connection details of a call, as grpc-js reports them to server interceptors. */
export interface GrpcConnectionInfo {
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/** A call as grpc-js hands it to a server interceptor (`ServerInterceptingCallInterface`). */
export interface GrpcInterceptedCall {
  getConnectionInfo(): GrpcConnectionInfo;
  sendStatus(status: { code: number; details: string }): void;
}

/** What a server interceptor's responder passes on (`ServerListener`). */
export interface GrpcServerListener {
  onReceiveMetadata?(metadata: object, next: (metadata: object) => void): void;
}

/** A server interceptor's responder (`Responder`). */
export interface GrpcResponder {
  start(next: (listener?: GrpcServerListener) => void): void;
}

/** `ServerInterceptingCall` as the SDK constructs it. */
export type GrpcInterceptingCallConstructor = new (nextCall: GrpcInterceptedCall, responder: GrpcResponder) => object;

/** A grpc-js secure connector (`SecureConnector`, grpc-js >= 1.13). */
export interface GrpcSecureConnector {
  connect(socket: import("node:net").Socket): Promise<{ socket: import("node:net").Socket; secure: boolean }>;
  waitForReady(): Promise<void>;
  getCallCredentials(): object;
  destroy(): void;
}

/** The injector of `server.createConnectionInjector(credentials)` (grpc-js >= 1.11). */
export interface GrpcConnectionInjector {
  injectConnection(connection: import("node:stream").Duplex): void;
  drain(graceTimeMs: number): void;
  destroy(): void;
}

/** A grpc-js `Server` as the SDK uses it. */
export interface GrpcServerLike {
  createConnectionInjector(credentials: never): GrpcConnectionInjector;
}

/**
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"grpc"`) unless `grpc` looks like the `@grpc/grpc-js`
 *   module in a version with the hooks the SDK needs.
 */
export function checkGrpcModule(grpc: unknown): asserts grpc is GrpcJsModule {
  const g = grpc as Partial<Record<keyof GrpcJsModule, unknown>> | null;
  const hint = 'pass the @grpc/grpc-js module (import * as grpc from "@grpc/grpc-js"; npm install @grpc/grpc-js@^1.13)';
  if (typeof g !== "object" || g === null) throw new InvalidArgumentError("grpc", `grpc must be the @grpc/grpc-js module, got ${describeType(g)}: ${hint}`);
  for (const name of ["ChannelCredentials", "ServerCredentials", "ServerInterceptingCall", "Server"] as const) {
    if (typeof g[name] !== "function") throw new InvalidArgumentError("grpc", `grpc has no ${name}: not the @grpc/grpc-js module; ${hint}`);
  }
  const insecure = (g.ChannelCredentials as unknown as { createInsecure?: () => { _createSecureConnector?: unknown } }).createInsecure?.();
  if (typeof insecure?._createSecureConnector !== "function") {
    throw new InvalidArgumentError("grpc", "grpc is a @grpc/grpc-js older than 1.13 (no secure connectors for channel credentials): upgrade @grpc/grpc-js to ^1.13");
  }
  if (typeof (g.CallCredentials as { createEmpty?: unknown } | undefined)?.createEmpty !== "function" || typeof (g.status as { UNAUTHENTICATED?: unknown } | undefined)?.UNAUTHENTICATED !== "number") {
    throw new InvalidArgumentError("grpc", `grpc lacks CallCredentials.createEmpty or status.UNAUTHENTICATED: ${hint}`);
  }
}
