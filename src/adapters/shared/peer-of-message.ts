import type { HandlerContext } from "@connectrpc/connect";
import type { ClientRequest, IncomingMessage } from "node:http";
import type { Http2ServerRequest, Http2Session, ServerHttp2Stream } from "node:http2";
import type { TLSSocket } from "node:tls";
import type { SpiffeId } from "../../core/spiffeid/spiffe-id.ts";
import { type PeerIdentity, peerIdentityOf } from "../../http/peer-identity.ts";

/**
 * A call as a `@grpc/grpc-js` server handler receives it (`ServerUnaryCall`,
 * `ServerReadableStream`, …): its `metadata` carries the verified caller when the server
 * runs on `serveGrpcMtls`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface GrpcServerCall {
  /** The call's metadata (grpc-js `Metadata`), which carries the verified caller. */
  readonly metadata: object;
}

/**
 * The part of an `undici.request` result (`Dispatcher.ResponseData`) that carries the
 * server's identity when it came through `createSpiffeDispatcher`: its `context`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface DispatcherResponse {
  /** The response's status. */
  readonly statusCode: number;
  /** What the dispatcher passed to the request's handler; the server's identity is bound to it. */
  readonly context: object | undefined;
}

/**
 * Anything that carries a connection verified by this SDK: a Node request of a server
 * with `attachSpiffe` (`IncomingMessage`, HTTP/2 `Http2ServerRequest`, `ServerHttp2Stream`,
 * `Http2Session`), a `TLSSocket` from `connectMtls` or `attachSpiffe`, a response
 * (`IncomingMessage`) or `ClientRequest` of a `createSpiffeAgent` request, the result of
 * `undici.request` through `createSpiffeDispatcher`, a Web `Request`/`Response` of
 * `serveMtls`/`createMtlsClient`, a grpc-js server call of `serveGrpcMtls`, or the
 * `HandlerContext` of a Connect handler served with `spiffeContextValues` or
 * `createConnectFetchHandler`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type PeerMessage =
  | IncomingMessage
  | ClientRequest
  | Http2ServerRequest
  | ServerHttp2Stream
  | Http2Session
  | TLSSocket
  | DispatcherResponse
  | Request
  | Response
  | GrpcServerCall
  | HandlerContext;

/**
 * The verified identity of the peer of a Node request, HTTP/2 stream or session, TLS
 * socket, Web `Request`/`Response`, grpc-js server call or Connect handler context: the client for a server of `attachSpiffe` or
 * `serveMtls`, the server for `connectMtls`/`createMtlsClient`. `undefined` when the
 * connection was not verified by this SDK. Never read from a header.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`). For Web messages only, the
 * root entry's `getPeerIdentity` is the same.
 *
 * @example
 * ```ts
 * import { getPeerIdentity } from "@spiffe-ts/sdk/node";
 * app.get("/", (req, res) => res.json({ certificates: getPeerIdentity(req)?.certificates.length }));
 * ```
 */
export function getPeerIdentity(message: PeerMessage): PeerIdentity | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  try {
    const m = message as unknown as Holder;
    // The identity is bound to the verified TLS socket (a TLSSocket itself, an HTTP/1.1
    // request's socket), to its HTTP/2 session (a request's or stream's session), and to the
    // Web messages the SDK's servers and clients make; for gRPC, to a grpc-js call's
    // metadata and a Connect handler's context values; for undici, to a request's context.
    // A client response (IncomingMessage) whose kept-alive socket went back to its agent has
    // `socket: null`; its request (`res.req`) keeps the socket.
    return peerIdentityOf(m) ?? of(m.socket) ?? of(m.req?.socket) ?? of(m.session) ?? of(m.stream?.session) ?? of(m.metadata) ?? of(m.values) ?? of(m.context);
  } catch {
    return undefined; // a closed HTTP/2 session may throw on access: no verified peer
  }
}

/**
 * The verified SPIFFE ID of the peer (see {@link getPeerIdentity}), or `undefined`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example Express
 * ```ts
 * import { getPeerId } from "@spiffe-ts/sdk/node";
 * app.get("/", (req, res) => res.send(`hello ${getPeerId(req)}`));
 * ```
 */
export function getPeerId(message: PeerMessage): SpiffeId | undefined {
  return getPeerIdentity(message)?.id;
}

interface Holder {
  readonly socket?: object | null;
  readonly req?: { readonly socket?: object | null } | null;
  readonly session?: object | null;
  readonly stream?: { readonly session?: object | null } | null;
  readonly metadata?: object | null;
  readonly values?: object | null;
  readonly context?: unknown;
}

function of(carrier: unknown): PeerIdentity | undefined {
  return typeof carrier === "object" && carrier !== null ? peerIdentityOf(carrier) : undefined;
}
