import type { Readable } from "node:stream";
import { bindPeerIdentity, type PeerIdentity } from "../../../http/peer-identity.ts";
import { NULL_BODY_STATUSES } from "../http-fields.ts";
import { readableToWeb } from "../readable-to-web.ts";

/**
 * The Web `Response` for an answer received over HTTP/1.1 or HTTP/2, with the server's
 * verified identity bound to it (`getPeerIdentity(response)`). A null-body status or a
 * `HEAD` answer gets no body, and `body` is drained so that its connection can be reused.
 *
 * @param body The Node stream the body arrives on (an `IncomingMessage` or an HTTP/2 stream).
 * @param headers Name/value pairs: the `Response` copies them into its own `Headers` (one copy, not two).
 * @param method The request's method (`HEAD` answers have no body).
 * @param peer The identity bound to the connection the answer came on.
 */
export function toResponse(body: Readable, status: number, statusText: string, headers: [string, string][], method: string, peer: PeerIdentity | undefined): Response {
  const empty = NULL_BODY_STATUSES.has(status) || method === "HEAD";
  if (empty) body.resume();
  const response = new Response(empty ? null : readableToWeb(body), { status, statusText, headers });
  if (peer) bindPeerIdentity(response, peer);
  return response;
}
