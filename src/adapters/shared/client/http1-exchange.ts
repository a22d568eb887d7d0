import type { Agent, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { peerIdentityOf } from "../../../http/peer-identity.ts";
import { cancelRequest } from "../cancel-request.ts";
import { closedAfterHandshake, isHangUp } from "./closed-after-handshake.ts";
import type { OutgoingRequest } from "./outgoing-request.ts";
import type { RequestDeadline } from "./request-deadline.ts";
import { pipeBody } from "./pipe-body.ts";
import { toResponse } from "./to-response.ts";
import { hostOf, portOf } from "./url-endpoint.ts";
import type { SmallBodyHandover } from "../runtime-profile.ts";

/**
 * Sends one request over HTTP/1.1 through `agent` and resolves with its response. Rejects
 * with the deadline's reason when it aborts (like `fetch`), else with the request's error, or
 * {@link closedAfterHandshake} when the connection closed before an answer.
 *
 * @param done Called once the exchange is over: the response body ended, or the request failed.
 * @param smallBodies See RuntimeProfile.clientSmallBodies.
 * @param release Frees the origin's slot (see `createOriginLimiter`); called when the request closes.
 */
export function exchangeHttp1(agent: Agent, request: OutgoingRequest, deadline: RequestDeadline, done: () => void, release: () => void, smallBodies: SmallBodyHandover): Promise<Response> {
  const { url } = request;
  const headers: OutgoingHttpHeaders = {};
  request.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  if (request.bytes) headers["content-length"] = String(request.bytes.byteLength);
  return new Promise((resolve, fail) => {
    let settled = false;
    const reject = (err: unknown): void => {
      settled = true;
      fail(deadline.aborted ? deadline.reason : err); // like fetch: the abort reason
    };
    let req: ReturnType<typeof httpsRequest>;
    try {
      // Not the `signal` option: on Deno a request destroyed on a reused keep-alive socket
      // is sent again (cancelRequest); the abort is handled here instead.
      req = httpsRequest({ agent, host: hostOf(url), port: portOf(url), method: request.method, path: url.pathname + url.search, headers }, (res: IncomingMessage) => {
        settled = true;
        stopListening();
        deadline.onAbort((reason) => res.destroy(reason instanceof Error ? reason : undefined));
        res.once("close", done);
        const responseHeaders: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        resolve(toResponse(res, res.statusCode ?? 502, res.statusMessage ?? "", responseHeaders, request.method, peerIdentityOf(res.socket), smallBodies));
      });
    } catch (err) {
      release();
      throw err;
    }
    const stopListening = deadline.onAbort((reason) => {
      cancelRequest(req, reason);
      reject(reason);
    });
    // A reset before any answer (node:http's "socket hang up"): the server hung up on us.
    req.once("error", (err) => reject(isHangUp(err) ? closedAfterHandshake("the server reset the connection", err) : err));
    // Some runtimes (Deno) neither answer nor fail a request whose socket closed under it.
    req.once("close", () => {
      if (!settled) reject(closedAfterHandshake()); // an Error costs its stack trace: only when it is needed
      done();
      // The next request starts after this task, once the socket is back in the pool ('free' follows 'close').
      release();
    });
    if (request.body) pipeBody(request.body, req, deadline.signal, (err) => cancelRequest(req, err));
    else req.end(request.bytes); // head and a complete body in one write
  });
}
