// What differs between the runtimes' node:* implementations, as far as the shared servers and
// clients are concerned. Each runtime entry (src/adapters/<runtime>/) hands its profile in;
// the shared code never detects the runtime itself.
import type { Server as HttpServer } from "node:http";
import type { PeerChainReader } from "../../tls/peer-chain.ts";

/** How a client hands over a small answer's body (see {@link RuntimeProfile.clientSmallBodies}). */
export type SmallBodyHandover = "bytes" | "chunk" | "stream";

/** A runtime's differences, with the upstream issue behind each. */
export interface RuntimeProfile {
  readonly name: "node" | "bun" | "deno";
  /**
   * Called on the HTTP/1.1 server that serveMtls hands verified sockets to (it never listens
   * itself), with the TLS server's listening state. Deno needs it (see its profile).
   */
  readonly prepareHttp1Server?: (server: HttpServer, listening: () => boolean) => void;
  /** Whether createMtlsClient offers HTTP/2 when the caller does not say (`http2` option). */
  readonly clientHttp2ByDefault: boolean;
  /**
   * Why `createSpiffeChannelCredentials` (a `@grpc/grpc-js` client) is refused on this
   * runtime, with what to use instead; undefined where it is supported.
   */
  readonly grpcJsClientRefusal?: string;
  /**
   * How createMtlsClient hands over a small answer (at most 64 KiB, by its `Content-Length` or
   * because it ended with its headers; see toResponse): `"bytes"` reads it to its end and gives the Response a byte body (the
   * cheapest on Bun, whose Response keeps bytes without a Web stream); `"chunk"` reads it to
   * its end and gives the Response a ready stream of those bytes (the cheapest on Node, whose
   * Response copies a byte body and builds a stream of its own around it); `"stream"` streams
   * it from its headers on, like any other body.
   */
  readonly clientSmallBodies: SmallBodyHandover;
  /**
   * How the peer's certificate chain is read after each handshake (the chain as the peer sent
   * it; see PeerChainReader): the cheapest way this runtime offers.
   */
  readonly readPeerChain: PeerChainReader;
  /** Why `createSpiffeDispatcher` cannot work on this runtime; undefined where it does. */
  readonly undiciDispatcherUnsupported?: string;
}
