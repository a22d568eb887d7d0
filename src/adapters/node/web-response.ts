import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); dropped for h2 responses. */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/**
 * Writes a Web `Response` to a `node:http`/`node:http2` response, streaming the body with
 * back-pressure. If the client goes away, the body stream is cancelled.
 */
export async function writeWebResponse(response: Response, res: ServerResponse | Http2ServerResponse, options: { head: boolean; http2: boolean }): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === "set-cookie" || (options.http2 && CONNECTION_HEADERS.has(name))) return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  if (res.headersSent) return;
  (res as ServerResponse).writeHead(response.status, headers);
  if (!response.body || options.head) {
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
    for (;;) {
      const next = await reader.read();
      if (gone) return;
      if (next.done) break;
      if (!(res as ServerResponse).write(next.value)) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            res.off("drain", go);
            res.off("close", go);
            resolve();
          };
          res.on("drain", go);
          res.on("close", go);
        });
        if (gone) return;
      }
    }
    res.off("close", onClose);
    res.end();
  } catch (err) {
    res.off("close", onClose);
    (res as ServerResponse).destroy(err instanceof Error ? err : new Error(String(err)));
    await reader.cancel().catch(() => {});
  }
}
