// A raw HTTP/2 Workload API stub for fault tests: a node:http2 server on a Unix socket that
// answers FetchX509SVID streams with hand-made gRPC frames (the development server, built on
// Connect-ES, can only send well-formed ones). Stream number i (0-based) is answered by
// `steps[i]`; streams beyond the list are held open without an answer.
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { X509SVIDResponseSchema } from "../../gen/workload_pb.ts";
import type { RawX509SvidResponse } from "../../src/testing/mod.ts";

/** What a step can do with its stream. */
export interface RawGrpcStream {
  /** Sends the response headers (`:status` 200, `content-type: application/grpc+proto`), once. */
  headers(): void;
  /** Writes raw bytes to the response body (sends the headers first if needed). */
  write(bytes: Uint8Array): void;
  /** Ends the response with trailers (`grpc-status`, optional `grpc-message`). */
  end(grpcStatus: number, grpcMessage?: string): void;
  /** Resets the stream (RST_STREAM with INTERNAL_ERROR). */
  reset(): void;
}

/** One step: acts on the i-th stream (may return before the stream is done). */
export type RawGrpcStep = (stream: RawGrpcStream) => void | Promise<void>;

export interface RawGrpcStub extends AsyncDisposable {
  /** `unix:///...` address of the stub. */
  readonly address: string;
  /** How many FetchX509SVID streams were opened so far. */
  readonly streams: number;
  /** Paths of other requests (answered with grpc-status 12, Unimplemented). */
  readonly otherCalls: readonly string[];
  close(): Promise<void>;
}

/** A gRPC length-prefixed frame: flag byte, 4-byte big-endian length, payload. */
export function grpcFrame(payload: Uint8Array, options: { compressed?: boolean; declaredLength?: number } = {}): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = options.compressed ? 1 : 0;
  new DataView(out.buffer).setUint32(1, options.declaredLength ?? payload.length);
  out.set(payload, 5);
  return out;
}

/** Protobuf encoding of an `X509SVIDResponse` given in the raw shape of `@spiffe-ts/sdk/testing`. */
export function encodeX509SvidResponse(raw: RawX509SvidResponse): Uint8Array {
  const message = create(X509SVIDResponseSchema, {
    svids: (raw.svids ?? []).map((s) => ({
      spiffeId: s.spiffeId ?? "",
      x509Svid: s.x509Svid ?? new Uint8Array(),
      x509SvidKey: s.x509SvidKey ?? new Uint8Array(),
      bundle: s.bundle ?? new Uint8Array(),
      hint: s.hint ?? "",
    })),
    crl: [...(raw.crl ?? [])],
    federatedBundles: { ...(raw.federatedBundles ?? {}) },
  });
  return toBinary(X509SVIDResponseSchema, message);
}

/** Starts the stub on a socket in a fresh temporary directory. */
export async function startRawGrpcStub(steps: readonly RawGrpcStep[]): Promise<RawGrpcStub> {
  const dir = mkdtempSync(join(tmpdir(), "raw-grpc-"));
  const socketPath = join(dir, "agent.sock");
  const server = http2.createServer();
  const open = new Set<http2.ServerHttp2Stream>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const otherCalls: string[] = [];
  let streams = 0;
  server.on("session", (session) => {
    sessions.add(session);
    session.on("error", () => {});
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {}); // the client may reset a stream it cannot parse
    open.add(stream);
    stream.on("close", () => open.delete(stream));
    if (headers[":path"] !== "/SpiffeWorkloadAPI/FetchX509SVID") {
      otherCalls.push(String(headers[":path"]));
      stream.respond({ ":status": 200, "content-type": "application/grpc+proto", "grpc-status": "12", "grpc-message": "not in this stub" }, { endStream: true });
      return;
    }
    const step = steps[streams++];
    let sentHeaders = false;
    let trailers: Record<string, string> | undefined;
    stream.on("wantTrailers", () => stream.sendTrailers(trailers ?? { "grpc-status": "0" }));
    const raw: RawGrpcStream = {
      headers() {
        if (sentHeaders || stream.destroyed) return;
        sentHeaders = true;
        stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
      },
      write(bytes) {
        raw.headers();
        if (!stream.destroyed) stream.write(bytes);
      },
      end(grpcStatus, grpcMessage) {
        raw.headers();
        trailers = { "grpc-status": String(grpcStatus), ...(grpcMessage === undefined ? {} : { "grpc-message": encodeURIComponent(grpcMessage) }) };
        if (!stream.destroyed) stream.end();
      },
      reset() {
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      },
    };
    if (step) void Promise.resolve(step(raw)).catch(() => raw.reset());
    else raw.headers(); // hold the stream open: no answer
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const s of open) s.close(http2.constants.NGHTTP2_CANCEL);
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    address: `unix://${socketPath}`,
    get streams() {
      return streams;
    },
    otherCalls,
    close,
    [Symbol.asyncDispose]: close,
  };
}
