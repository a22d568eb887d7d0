import type { Readable } from "node:stream";

/**
 * A Web `ReadableStream` over a Node `Readable`, consuming it in flowing mode with
 * back-pressure (pause when the web queue is full, resume on pull). Unlike
 * `Readable.toWeb`, data already received is kept when the source is destroyed right
 * after its end: Deno's HTTP/2 client tears a stream down as soon as the server's GOAWAY
 * follows the last DATA frame, which `Readable.toWeb` reports as "Premature close".
 *
 * Cancelling the Web stream destroys `source` (`onCancel: "destroy"`, for a response whose
 * reader gave up: its connection cannot be reused anyway), or reads the rest of it and drops
 * it (`"drain"`, for a server's request body the handler left unread: the client can finish
 * sending, and its connection can carry the next request).
 *
 * A source that fails fails the Web stream with its own error (the runtime's, or the reason
 * it was destroyed with, e.g. an abort's); one that closes before its end without an error
 * fails it with `options.closedEarly()`, which each side makes fit its reader; so does one
 * that ends short of `options.expectedBytes`.
 */
export function readableToWeb(source: Readable, options: ReadableToWebOptions): ReadableStream<Uint8Array> {
  const { received = [], highWaterMark = 64 * 1024, onCancel = "destroy", closedEarly, expectedBytes } = options;
  let ended = false; // the source ended or the reader cancelled: the controller is closed
  let bytes = 0;
  for (const chunk of received) bytes += chunk.byteLength;
  // The source's end: the body's end, unless fewer (or more) bytes came than were declared.
  const close = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    if (expectedBytes === undefined || bytes === expectedBytes) controller.close();
    else controller.error(closedEarly());
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        for (const chunk of received) controller.enqueue(chunk);
        if (source.readableEnded) {
          ended = true;
          return close(controller);
        }
        if (source.destroyed) {
          ended = true;
          return controller.error(source.errored ?? closedEarly());
        }
        source.on("data", (chunk: Uint8Array | string) => {
          if (ended) return;
          const view = typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
          bytes += view.byteLength;
          controller.enqueue(view);
          if ((controller.desiredSize ?? 1) <= 0) source.pause();
        });
        source.once("end", () => {
          if (ended) return;
          ended = true;
          close(controller);
        });
        source.once("error", (err) => {
          if (ended) return;
          ended = true;
          controller.error(err);
        });
        source.once("close", () => {
          if (ended || source.readableEnded) return;
          ended = true;
          controller.error(closedEarly());
        });
      },
      pull() {
        source.resume();
      },
      cancel() {
        ended = true;
        if (onCancel === "destroy") source.destroy();
        else source.resume(); // the 'data' listener drops what comes
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark }),
  );
}

/** Options of {@link readableToWeb}. */
export interface ReadableToWebOptions {
  /** Chunks already taken from the source: they come first. */
  readonly received?: readonly Uint8Array[];
  /** Bytes queued in the Web stream before the source is paused (default 64 KiB). */
  readonly highWaterMark?: number;
  /** What cancelling the Web stream does to the source (default `"destroy"`). */
  readonly onCancel?: "destroy" | "drain";
  /**
   * The error of a source that closed before its end without an error of its own, or that
   * ended with other than `expectedBytes` bytes.
   */
  readonly closedEarly: () => unknown;
  /**
   * The body's declared length (`Content-Length`), counting `received`: a source that ends
   * with fewer or more bytes fails the stream with `closedEarly()`. Node's HTTP/2 streams end
   * cleanly when the connection drops in the middle of a body, so only the count tells.
   */
  readonly expectedBytes?: number;
}
