import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import { CONNECTION_SPECIFIC_FIELDS, NULL_BODY_STATUSES } from "./http-fields.ts";
import { atNextTurn } from "./next-turn.ts";

/**
 * Writes a Web `Response` to a `node:http`/`node:http2` response, streaming the body with
 * back-pressure. If the client goes away, the body stream is cancelled. A body that is
 * complete within the current turn of the event loop (a string, bytes, JSON…) is written
 * with its Content-Length in one `end()`; any other body is streamed as it comes, its
 * headers sent at the next turn of the event loop at the latest, without waiting for it.
 *
 * The body is read with plain awaits: a body that is still open at the next turn is told
 * apart by one shared `setImmediate` per turn (see {@link atNextTurn}), not by racing every
 * read against a timer (a `Promise.race` per read cost 2-7 µs per response).
 */
export async function writeWebResponse(response: Response, res: ServerResponse | Http2ServerResponse, options: { head: boolean; http2: boolean }): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  let hasLength = false;
  let hasCookies = false;
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") hasCookies = true;
    else if (options.http2 && CONNECTION_SPECIFIC_FIELDS.has(name)) return;
    else {
      if (name === "content-length" || name === "transfer-encoding") hasLength = true; // framing chosen by the handler
      headers[name] = value;
    }
  });
  if (hasCookies) headers["set-cookie"] = response.headers.getSetCookie(); // one field each, never joined
  if (res.headersSent) return;
  if (!response.body || options.head) {
    (res as ServerResponse).writeHead(response.status, headers);
    await response.body?.cancel();
    res.end();
    return;
  }
  const reader = response.body.getReader();
  // If the client goes away, cancelling the reader ends the loop (a pending read resolves done).
  let gone = false;
  const onClose = (): void => {
    gone = true;
    reader.cancel().catch(() => {});
  };
  res.once("close", onClose);
  /** Reading or writing failed: the client gets a reset, not a truncated body that looks whole. */
  const fail = (err: unknown): void => {
    gone = true;
    res.off("close", onClose);
    (res as ServerResponse).destroy(err instanceof Error ? err : new Error(String(err)));
    reader.cancel().catch(() => {});
  };
  let headSent = false;
  let held: Uint8Array | undefined; // the one chunk read before the head went out
  /** The body is a stream: the head goes out now, with the chunk held so far. */
  const sendHead = (): void => {
    if (headSent || gone) return;
    headSent = true;
    try {
      (res as ServerResponse).writeHead(response.status, headers);
      if (held) (res as ServerResponse).write(held);
    } catch (err) {
      fail(err);
    }
    held = undefined;
  };
  atNextTurn(sendHead); // a body still open then streams
  try {
    for (;;) {
      const next = await reader.read();
      if (gone) return;
      if (next.done) break;
      if (!headSent) {
        if (held === undefined) {
          held = next.value; // the whole body, if the end follows within this turn
          continue;
        }
        sendHead(); // a second chunk: a stream
      }
      if (!(await write(res, next.value, () => gone))) return;
    }
    res.off("close", onClose);
    if (headSent) return void res.end();
    // Complete within this turn: one end() with its Content-Length.
    headSent = true;
    if (!hasLength && !NULL_BODY_STATUSES.has(response.status)) headers["content-length"] = String(held?.byteLength ?? 0);
    (res as ServerResponse).writeHead(response.status, headers);
    if (held) (res as ServerResponse).end(held);
    else res.end();
  } catch (err) {
    fail(err);
  }
}


/** Writes one chunk, waiting for 'drain' when the buffer is full; false once the client went away. */
async function write(res: ServerResponse | Http2ServerResponse, chunk: Uint8Array, gone: () => boolean): Promise<boolean> {
  if (gone()) return false;
  if ((res as ServerResponse).write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const go = (): void => {
      res.off("drain", go);
      res.off("close", go);
      resolve();
    };
    res.on("drain", go);
    res.on("close", go);
  });
  return !gone();
}
