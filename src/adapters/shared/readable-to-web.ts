import type { Readable } from "node:stream";

/**
 * A Web `ReadableStream` over a Node `Readable`, consuming it in flowing mode with
 * back-pressure (pause when the web queue is full, resume on pull). Unlike
 * `Readable.toWeb`, data already received is kept when the source is destroyed right
 * after its end: Deno's HTTP/2 client tears a stream down as soon as the server's GOAWAY
 * follows the last DATA frame, which `Readable.toWeb` reports as "Premature close".
 */
export function readableToWeb(source: Readable, highWaterMark = 64 * 1024): ReadableStream<Uint8Array> {
  let ended = false; // the source ended or the reader cancelled: the controller is closed
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
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
        source.destroy();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark }),
  );
}
