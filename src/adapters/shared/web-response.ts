import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import { setImmediate } from "node:timers";
import { CONNECTION_SPECIFIC_FIELDS, NULL_BODY_STATUSES } from "./http-fields.ts";


/**
 * Writes a Web `Response` to a `node:http`/`node:http2` response, streaming the body with
 * back-pressure. If the client goes away, the body stream is cancelled. A body that is
 * complete within the current turn of the event loop (a string, bytes, JSON…) is written
 * with its Content-Length in one `end()`; any other body is streamed as it comes, its
 * headers sent without waiting for it.
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
  try {
    // The whole body at once when it is already there: its first read, then the end.
    let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined = reader.read();
    const first = await settledThisTurn(pending);
    if (gone) return;
    if (first) {
      pending = first.done ? undefined : reader.read();
      const second = pending ? await settledThisTurn(pending) : first;
      if (second?.done && !gone) {
        const body = first.done ? undefined : first.value;
        if (!hasLength && !NULL_BODY_STATUSES.has(response.status)) headers["content-length"] = String(body?.byteLength ?? 0);
        res.off("close", onClose);
        (res as ServerResponse).writeHead(response.status, headers);
        if (body) (res as ServerResponse).end(body);
        else res.end();
        return;
      }
      (res as ServerResponse).writeHead(response.status, headers);
      if (!first.done && !(await write(res, first.value, () => gone))) return;
    } else {
      (res as ServerResponse).writeHead(response.status, headers);
    }
    for (;;) {
      const next = await (pending ?? reader.read());
      pending = undefined;
      if (gone) return;
      if (next.done) break;
      if (!(await write(res, next.value, () => gone))) return;
    }
    res.off("close", onClose);
    res.end();
  } catch (err) {
    res.off("close", onClose);
    (res as ServerResponse).destroy(err instanceof Error ? err : new Error(String(err)));
    await reader.cancel().catch(() => {});
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

// One shared "next turn" promise: every response written in this turn races against it.
let nextTurn: Promise<undefined> | undefined;

/** The promise's result if it settles before the event loop's next turn, else undefined (it keeps running). */
function settledThisTurn<T>(promise: Promise<T>): Promise<T | undefined> {
  nextTurn ??= new Promise<undefined>((resolve) =>
    setImmediate(() => {
      nextTurn = undefined;
      resolve(undefined);
    }),
  );
  return Promise.race([promise, nextTurn]);
}
