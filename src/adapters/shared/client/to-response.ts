import type { Readable } from "node:stream";
import { clearImmediate, setImmediate } from "node:timers";
import { bindPeerIdentity, type PeerIdentity } from "../../../http/peer-identity.ts";
import { NULL_BODY_STATUSES } from "../http-fields.ts";
import { readableToWeb } from "../readable-to-web.ts";

/** The most a response body may hold to be handed over as bytes rather than as a stream. */
const BUFFERED_LIMIT = 64 * 1024;

/**
 * The Web `Response` for an answer received over HTTP/1.1 or HTTP/2, with the server's
 * verified identity bound to it (`getPeerIdentity(response)`). A null-body status or a
 * `HEAD` answer gets no body, and `body` is drained so that its connection can be reused.
 *
 * A body that has fully arrived by the end of the event-loop turn that brought the headers
 * (a small answer: its DATA frames or bytes came with them) and is at most 64 KiB becomes
 * a byte body: a runtime-native `Response` without a Web stream to fill and drain, which
 * is most of the cost of reading a small JSON answer. Any other body streams as it comes,
 * the bytes already received first, with back-pressure.
 *
 * @param body The Node stream the body arrives on (an `IncomingMessage` or an HTTP/2 stream).
 * @param headers Name/value pairs: the `Response` copies them into its own `Headers` (one copy, not two).
 * @param method The request's method (`HEAD` answers have no body).
 * @param peer The identity bound to the connection the answer came on.
 */
export function toResponse(body: Readable, status: number, statusText: string, headers: [string, string][], method: string, peer: PeerIdentity | undefined): Promise<Response> {
  const init: ResponseInit = { status, statusText, headers };
  if (NULL_BODY_STATUSES.has(status) || method === "HEAD") {
    body.resume();
    return Promise.resolve(withPeer(new Response(null, init), peer));
  }
  return new Promise((resolve) => {
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let size = 0;
    let settled = false;
    const onData = (chunk: Uint8Array | string): void => {
      // A view of the chunk (a Buffer's memory is an ArrayBuffer, never shared), not a copy.
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer as ArrayBuffer, chunk.byteOffset, chunk.byteLength);
      chunks.push(bytes);
      size += bytes.byteLength;
      if (size > BUFFERED_LIMIT) stream(); // a large body: no point in waiting for it
    };
    const onEnd = (): void => {
      if (settled) return;
      settled = true;
      clearImmediate(turnEnd);
      body.off("data", onData);
      resolve(withPeer(new Response(concat(chunks, size), init), peer));
    };
    /** Hands the body over as a stream: what arrived so far, then the rest as it comes. */
    const stream = (): void => {
      if (settled) return;
      settled = true;
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", stream);
      body.off("close", stream);
      body.pause();
      resolve(withPeer(new Response(readableToWeb(body, { received: chunks }), init), peer));
    };
    body.on("data", onData);
    body.once("end", onEnd);
    // An error or early close before the end: the stream reports it to the reader.
    body.once("error", stream);
    body.once("close", stream);
    // The rest of what the socket delivered in this turn is processed before the check phase.
    const turnEnd = setImmediate(stream);
  });
}

function withPeer(response: Response, peer: PeerIdentity | undefined): Response {
  if (peer) bindPeerIdentity(response, peer);
  return response;
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
