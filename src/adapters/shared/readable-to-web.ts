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
 */
export function readableToWeb(source: Readable, options: ReadableToWebOptions = {}): ReadableStream<Uint8Array> {
  const { received = [], highWaterMark = 64 * 1024, onCancel = "destroy" } = options;
  let ended = false; // the source ended or the reader cancelled: the controller is closed
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        for (const chunk of received) controller.enqueue(chunk);
        if (source.readableEnded) {
          ended = true;
          return controller.close();
        }
        if (source.destroyed) {
          ended = true;
          return controller.error(source.errored ?? new Error("the connection closed before the body ended"));
        }
        source.on("data", (chunk: Uint8Array | string) => {
          if (ended) return;
          controller.enqueue(typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk));
          if ((controller.desiredSize ?? 1) <= 0) source.pause();
        });
        source.once("end", () => {
          if (ended) return;
          ended = true;
          controller.close();
        });
        source.once("error", (err) => {
          if (ended) return;
          ended = true;
          controller.error(err);
        });
        source.once("close", () => {
          if (ended || source.readableEnded) return;
          ended = true;
          controller.error(new Error("the connection closed before the body ended"));
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
}
