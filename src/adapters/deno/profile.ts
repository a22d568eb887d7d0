import type { Server as HttpServer } from "node:http";
import { peerChainOf } from "../../tls/peer-chain.ts";
import type { RuntimeProfile } from "../shared/runtime-profile.ts";

/** Deno 2.9's node:* differences. */
export const denoProfile: RuntimeProfile = {
  name: "deno",
  /**
   * Deno's node:http server ends every connection after one response when the server is not
   * `listening` (a Deno-only branch of its resOnFinish, denoland/deno#35609), and serveMtls's
   * HTTP/1.1 server never listens: it is handed verified sockets. Report the TLS server's state
   * so that keep-alive works.
   */
  prepareHttp1Server(server: HttpServer, listening: () => boolean): void {
    Object.defineProperty(server, "listening", { get: listening });
  },
  /**
   * Deno 2.9's node:http2 client aborts the whole process (nghttp2 assertion in
   * find_stream_on_goaway_func) when sessions come and go under concurrent load; its HTTP/1.1
   * client is stable. So the client speaks HTTP/1.1 unless `http2: true` is passed.
   */
  clientHttp2ByDefault: false,
  /**
   * Deno 2.9's node:* compat stalls the whole process (its main thread spins, timers never
   * fire again) when a server closes the connection of a @grpc/grpc-js client gracefully
   * (HTTP/2 GOAWAY) while calls are in flight, i.e. at every graceful server restart under
   * load. Reproduced without the SDK: tests/adapters/grpc/deno-grpc-js-goaway.repro.ts.
   * Connect's gRPC client survives the same churn, and grpc-js servers are not affected.
   */
  grpcJsClientRefusal:
    "Deno 2.9 stalls the whole process when a server closes a @grpc/grpc-js client's connection (HTTP/2 GOAWAY) while calls are in flight; on Deno use createSpiffeGrpcTransport (a Connect client: it speaks gRPC to any gRPC server, grpc-js servers included)",
  /**
   * Streamed on Deno 2.9: with small answers read to their end before the Response is handed over,
   * tests/examples/bun-server.test.ts (POST /api/echo over HTTP/1.1, client and server on
   * Deno) timed out in 1 to 3 of 3 runs, never with the answer handed over at its headers;
   * the cause in Deno's node:http client is not found yet.
   */
  clientSmallBodies: "stream",
  /**
   * getPeerCertificate(true), which gives the as-sent chain on Deno. getPeerX509Certificate costs
   * about half but is not the chain as sent: it stops at the first certificate that does not
   * issue the one before (leaf, other, intermediate gives leaf, other) and drops a root.
   */
  readPeerChain: peerChainOf,
};
