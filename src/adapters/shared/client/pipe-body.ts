import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

/**
 * Streams a request's Web body into a Node writable (an HTTP/1.1 `ClientRequest` or an
 * HTTP/2 stream), honouring back-pressure and the abort signal.
 *
 * @param fail Called when reading the body fails; destroys `target` with the error by default.
 */
export function pipeBody(
  body: ReadableStream<Uint8Array>,
  target: NodeJS.WritableStream & { destroy(err?: Error): void },
  signal: AbortSignal,
  fail: (err: Error) => void = (err) => target.destroy(err),
): void {
  // The same object under two typings: the global ReadableStream is node:stream/web's on
  // Node, Bun and Deno, but TypeScript's DOM lib does not declare its async iteration.
  Readable.fromWeb(body as NodeReadableStream<Uint8Array>, { signal }).on("error", fail).pipe(target);
}
