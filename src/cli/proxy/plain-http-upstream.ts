// The proxy server's plain-HTTP leg: a Web Request out to the local app through node:http
// (not fetch: fetch would follow redirects and decode Content-Encoding, changing the message).
import { Agent, type IncomingMessage, request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { cancelRequest } from "../../adapters/shared/cancel-request.ts";
import { readableToWeb } from "../../adapters/shared/readable-to-web.ts";
import { forwardedHeaders } from "./forwarded-headers.ts";
import { NULL_BODY_STATUSES } from "../../adapters/shared/http-fields.ts";


/** Why a forwarded request got no answer from the target; mapped to 502 or 504. */
export class UpstreamError extends Error {
  readonly status: 502 | 504;
  constructor(status: 502 | 504, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** Options of {@link createPlainHttpUpstream}. */
export interface PlainHttpUpstreamOptions {
  /** `http://host:port` of the app. */
  readonly target: URL;
  /** Time from sending the request to the response headers, ms; 0 = no limit. */
  readonly responseTimeoutMs: number;
}

/** Sends requests to one plain-HTTP origin over kept-alive connections. */
export interface PlainHttpUpstream {
  /** Forwards `request` with `headers` (already filtered) and resolves with the app's response. */
  send(request: Request, headers: Headers): Promise<Response>;
  close(): void;
}

/** Creates the keep-alive connection pool to the app and the function that forwards to it. */
export function createPlainHttpUpstream(options: PlainHttpUpstreamOptions): PlainHttpUpstream {
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32, timeout: 60_000 });
  const hostname = options.target.hostname.startsWith("[") ? options.target.hostname.slice(1, -1) : options.target.hostname;
  const port = Number(options.target.port || 80);
  return {
    send(request, headers) {
      const url = new URL(request.url);
      const outgoing: Record<string, string | string[]> = {};
      headers.forEach((value, name) => (outgoing[name] = value));
      return new Promise<Response>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        // The caller going away cancels the request (cancelRequest, not the `signal` option:
        // on Deno that would send the request again).
        const onAbort = (): void => {
          clearTimeout(timer);
          cancelRequest(req, request.signal.reason);
          reject(new UpstreamError(502, "the caller went away"));
        };
        const req = httpRequest({ agent, hostname, port, method: request.method, path: url.pathname + url.search, headers: outgoing }, (res: IncomingMessage) => {
          clearTimeout(timer);
          // From here the response body stream carries on; the caller going away cancels it.
          request.signal.removeEventListener("abort", onAbort);
          request.signal.addEventListener("abort", () => res.destroy(), { once: true });
          const empty = NULL_BODY_STATUSES.has(res.statusCode ?? 0) || request.method === "HEAD";
          if (empty) res.resume();
          const status = res.statusCode && res.statusCode >= 200 && res.statusCode <= 599 ? res.statusCode : 502;
          resolve(new Response(empty ? null : readableToWeb(res, { closedEarly: () => new UpstreamError(502, `${options.target.origin} closed the connection before its answer's body ended`) }), { status, statusText: res.statusMessage ?? "", headers: forwardedHeaders(res.rawHeaders) }));
        });
        if (request.signal.aborted) return onAbort();
        request.signal.addEventListener("abort", onAbort, { once: true });
        if (options.responseTimeoutMs > 0) {
          timer = setTimeout(() => {
            request.signal.removeEventListener("abort", onAbort);
            cancelRequest(req, new Error("response timeout"));
            reject(new UpstreamError(504, `${options.target.origin} sent no response within ${options.responseTimeoutMs} ms`));
          }, options.responseTimeoutMs);
        }
        req.once("error", (err: Error) => {
          clearTimeout(timer);
          request.signal.removeEventListener("abort", onAbort);
          reject(new UpstreamError(502, `${options.target.origin} is unreachable: ${err.message}`, { cause: err }));
        });
        if (request.body) {
          Readable.fromWeb(request.body as import("node:stream/web").ReadableStream<Uint8Array>)
            .once("error", (err: Error) => cancelRequest(req, err))
            .pipe(req);
        } else {
          req.end();
        }
      });
    },
    close() {
      agent.destroy();
    },
  };
}
