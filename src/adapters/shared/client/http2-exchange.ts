import { constants as h2, type OutgoingHttpHeaders } from "node:http2";
import { peerIdentityOf } from "../../../http/peer-identity.ts";
import { CONNECTION_SPECIFIC_FIELDS } from "../http-fields.ts";
import type { PooledSession } from "./http2-sessions.ts";
import type { OutgoingRequest } from "./outgoing-request.ts";
import type { RequestDeadline } from "./request-deadline.ts";
import { pipeBody } from "./pipe-body.ts";
import { toResponse } from "./to-response.ts";
import { closedAfterHandshake } from "./closed-after-handshake.ts";
import type { SmallBodyHandover } from "../runtime-profile.ts";

/**
 * Sends one request on a stream of an HTTP/2 session and resolves with its response.
 * Rejects with the deadline's reason when it aborts (like `fetch`), else with the stream's
 * error, or an error naming the RST_STREAM code when the server closed the stream unanswered.
 *
 * @param finished Called once the exchange is over: the stream closed.
 * @param smallBodies See RuntimeProfile.clientSmallBodies.
 */
export function exchangeHttp2(pooled: PooledSession, request: OutgoingRequest, deadline: RequestDeadline, finished: () => void, smallBodies: SmallBodyHandover): Promise<Response> {
  const { url } = request;
  const headers: OutgoingHttpHeaders = {
    [h2.HTTP2_HEADER_METHOD]: request.method,
    [h2.HTTP2_HEADER_PATH]: url.pathname + url.search,
    [h2.HTTP2_HEADER_SCHEME]: "https",
    [h2.HTTP2_HEADER_AUTHORITY]: url.host,
  };
  request.headers.forEach((value, name) => {
    if (!CONNECTION_SPECIFIC_FIELDS.has(name) && name !== "host") headers[name] = value; // :authority carries the host
  });
  const stream = pooled.openStream(headers, { endStream: !request.body && !request.bytes }, finished);
  // Not the `signal` option: the deadline's listener costs less than an AbortSignal's. An abort
  // resets the stream, before the answer or while its body streams (the body fails with the reason).
  const stopListening = deadline.onAbort((reason) => stream.destroy(reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError")));
  stream.once("close", stopListening);
  stream.on("error", () => {}); // surfaced through the answer's promise or its body; never an uncaught 'error' (an abort after the end, say)
  if (request.body) pipeBody(request.body, stream, deadline.signal);
  else if (request.bytes) stream.end(request.bytes); // HEADERS and DATA go out together; no Content-Length (with one, a later 256 KiB POST to the same Deno 2.9 server stalled: tests/adapters/web-messages.test.ts)
  return new Promise((resolve, fail) => {
    const reject = (err: unknown): void => fail(deadline.aborted ? deadline.reason : err); // like fetch: the abort reason
    const closedEarly = (): void => reject(closedAfterHandshake(`the server closed the HTTP/2 stream (code ${stream.rstCode ?? "unknown"})`));
    stream.once("error", reject);
    stream.once("close", closedEarly);
    stream.once("response", (h) => {
      stream.off("error", reject);
      stream.off("close", closedEarly);
      const status = Number(h[h2.HTTP2_HEADER_STATUS]);
      // Name/value pairs: the Response copies them into its own Headers (one copy, not two).
      const responseHeaders: [string, string][] = [];
      for (const [name, value] of Object.entries(h)) {
        if (name.startsWith(":") || value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) responseHeaders.push([name, v]);
        else responseHeaders.push([name, String(value)]);
      }
      resolve(toResponse(stream, status, "", responseHeaders, request.method, peerIdentityOf(pooled.session), smallBodies));
    });
  });
}
