import type { Readable } from "node:stream";
import { MtlsClientError } from "../../../core/errors/mtls-client-error.ts";
import { bindPeerIdentity, type PeerIdentity } from "../../../http/peer-identity.ts";
import { contentLength, NULL_BODY_STATUSES } from "../http-fields.ts";
import { atNextTurn } from "../next-turn.ts";
import { answerClosedEarly } from "../body-closed-early.ts";
import { readableToWeb } from "../readable-to-web.ts";
import type { SmallBodyHandover } from "../runtime-profile.ts";

/** The most a response body may hold to be handed over as bytes rather than as a stream. */
const BUFFERED_LIMIT = 64 * 1024;

/**
 * The Web `Response` for an answer received over HTTP/1.1 or HTTP/2, with the server's
 * verified identity bound to it (`getPeerIdentity(response)`). A null-body status or a
 * `HEAD` answer gets no body, and `body` is drained so that its connection can be reused.
 *
 * Unless `smallBodies` is `"stream"`, a small answer is read to its end first and handed over
 * whole: as a byte body (`"bytes"`: a runtime-native `Response` without a Web stream to fill
 * and drain) or as a ready stream of its one chunk (`"chunk"`), whichever costs the runtime
 * less. Small: it declares a `Content-Length` of at most 64 KiB (as `serveMtls` and Node's
 * HTTP/1.1 servers send them), or it declares none and ends within 64 KiB in the same turn of
 * the event loop as its headers arrived (a small HTTP/2 answer). Any other body streams as it
 * comes, with back-pressure, the bytes already received first; so does a small one whose
 * connection fails before its end (the stream reports the error).
 *
 * @param body The Node stream the body arrives on (an `IncomingMessage` or an HTTP/2 stream).
 * @param headers Name/value pairs: the `Response` copies them into its own `Headers` (one copy, not two).
 * @param method The request's method (`HEAD` answers have no body).
 * @param peer The identity bound to the connection the answer came on.
 * @param smallBodies How a small answer is handed over (the runtime's profile says).
 * @returns Rejects with `MtlsClientError` `ERR_MTLS_CLIENT_INVALID_ANSWER` (the answer dropped) when no `Response` can carry the answer.
 */
export function toResponse(body: Readable, status: number, statusText: string, headers: [string, string][], method: string, peer: PeerIdentity | undefined, smallBodies: SmallBodyHandover): Promise<Response> {
  const init: ResponseInit = { status, statusText, headers };
  /** The Response; throws (see {@link unusable}) for an answer no Response can carry, e.g. a status outside 200-599. */
  const build = (content: BodyInit | null): Response => {
    try {
      return withPeer(new Response(content, init), peer);
    } catch (err) {
      body.destroy();
      throw unusable(status, err);
    }
  };
  if (NULL_BODY_STATUSES.has(status) || method === "HEAD") {
    body.resume();
    return settledWith(() => build(null));
  }
  const declared = declaredLength(headers); // a body that ends short of it fails (HTTP/2 streams end cleanly when the connection drops)
  if (smallBodies === "stream" || (declared !== undefined && declared > BUFFERED_LIMIT)) return settledWith(() => build(readableToWeb(body, { closedEarly: answerClosedEarly, expectedBytes: declared })));
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let size = 0;
    const onData = (chunk: Uint8Array | string): void => {
      // A view of the chunk (a Buffer's memory is an ArrayBuffer, never shared), not a copy.
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer as ArrayBuffer, chunk.byteOffset, chunk.byteLength);
      chunks.push(bytes);
      size += bytes.byteLength;
      if (size > BUFFERED_LIMIT) streamed(); // more than it declared, or than is handed over whole
    };
    let settled = false;
    const settle = (content: () => BodyInit): void => {
      settled = true;
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", streamed);
      body.off("close", streamed);
      try {
        resolve(build(content()));
      } catch (err) {
        reject(err);
      }
    };
    const onEnd = (): void =>
      declared !== undefined && size !== declared ? streamed() : settle(() => {
        const bytes = concat(chunks, size);
        return smallBodies === "bytes" ? bytes : oneChunk(bytes);
      });
    // Still open (or failed before its end): what arrived, then the rest or the error, through a
    // stream, as a streamed body would give them.
    const streamed = (): void => settle(() => readableToWeb(body, { received: chunks, closedEarly: answerClosedEarly, expectedBytes: declared }));
    // An answer of unknown length (HTTP/2 servers rarely send Content-Length) is handed over whole
    // when its end arrives within this turn of the event loop (with its headers, as a small answer
    // does), else as a stream at the next turn.
    if (declared === undefined) atNextTurn(() => settled || streamed());
    body.on("data", onData);
    body.once("end", onEnd);
    body.once("error", streamed);
    body.once("close", streamed);
    // Explicitly: Deno's IncomingMessage starts reading on resume(), not on a 'data' listener alone.
    body.resume();
  });
}

/** `make()` as a settled promise: its Response, or its error as the rejection. */
function settledWith(make: () => Response): Promise<Response> {
  try {
    return Promise.resolve(make());
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * The rejection for an answer that no `Response` can carry (a status outside 200-599, a status
 * text or header a `Response` refuses), with the runtime's reason as its cause. It never
 * reaches the process as an uncaught exception.
 */
function unusable(status: number, cause: unknown): MtlsClientError {
  return new MtlsClientError("ERR_MTLS_CLIENT_INVALID_ANSWER", `the server's answer cannot be a Response (status ${status}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

/** The `content-length` the answer declares, when it is one plain number. */
function declaredLength(headers: readonly [string, string][]): number | undefined {
  for (const [name, value] of headers) {
    if (name.length === 14 && name.toLowerCase() === "content-length") return contentLength(value);
  }
  return undefined;
}

function withPeer(response: Response, peer: PeerIdentity | undefined): Response {
  if (peer) bindPeerIdentity(response, peer);
  return response;
}

/** A stream that holds `bytes` and is closed: read at once, with nothing left to pull. */
function oneChunk(bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

function concat(chunks: Uint8Array<ArrayBuffer>[], size: number): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
