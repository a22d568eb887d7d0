import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Readable } from "node:stream";
import { requestClosedEarly } from "./body-closed-early.ts";
import { contentLength } from "./http-fields.ts";
import { readableToWeb } from "./readable-to-web.ts";
import { withRequestTarget } from "./request-target.ts";

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
/** An origin-form request target: one leading slash, then no slash, backslash or fragment that could read as an authority. */
const SIMPLE_PATH = /^\/(?![/\\])[^#\\]*$/;

/**
 * Turns a `node:http`/`node:http2` request into a Web `Request` (streaming body). The URL's
 * origin comes from the `Host`/`:authority` header when it is a plain host[:port], else from
 * `fallbackHost`; the path is always taken as a path, so `//evil/x` cannot change the origin.
 */
export function toWebRequest(req: IncomingMessage | Http2ServerRequest, fallbackHost: string, signal: AbortSignal): Request {
  // Name/value pairs, not a Headers object: the Request copies its init headers into its own
  // Headers anyway, and building one here would copy them twice.
  const headers: [string, string][] = [];
  const given = req.headers;
  for (const name of Object.keys(given)) {
    const value = given[name];
    if (value === undefined || name.startsWith(":")) continue;
    if (Array.isArray(value)) for (const v of value) headers.push([name, v]);
    else headers.push([name, value]);
  }
  const authority = (req.headers[":authority"] ?? req.headers.host) as string | undefined;
  // HTTP/2 carries the host as :authority (RFC 9113 §8.3.1); handlers read Host, as Bun.serve and Deno.serve give it.
  if (req.headers.host === undefined && authority !== undefined) headers.push(["host", authority]);
  const host = authority && HOST.test(authority) ? authority : fallbackHost;
  const path = req.url ?? "/";
  // Origin-form: parsed after a plain host, it cannot change the origin; given as a string,
  // the Request parses it once (a URL object would be serialized and parsed again).
  // `//x/y` stays a path; of an absolute-form target only the path and query are kept.
  const url = SIMPLE_PATH.test(path) ? `https://${host}${path}` : withRequestTarget(new URL(`https://${host}`), path);
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (carriesBody(method)) {
    // A body that ends short of its Content-Length fails: Deno's HTTP/2 server ends a request
    // stream cleanly when the client's connection drops in the middle of it.
    const expectedBytes = contentLength(req.headers["content-length"]);
    init.body = readableToWeb(req as Readable, { onCancel: "drain", closedEarly: () => requestClosedEarly(signal), expectedBytes }); // see discardUnreadBody
    init.duplex = "half";
  }
  return new Request(url, init);
}

/** Whether {@link toWebRequest} gives a request of this method a body (GET and HEAD have none). */
export function carriesBody(method: string | undefined): boolean {
  return method !== "GET" && method !== "HEAD" && method !== undefined;
}

/**
 * Drops what is left of a request body the handler never read (once its response is written),
 * as `node:http` does for its own handlers: else a body larger than the stream's buffer would
 * stall an HTTP/1.1 connection (the next request waits behind it) or hold an HTTP/2 stream
 * open. A body the handler took (`bodyUsed`) is its own business.
 */
export function discardUnreadBody(request: Request): void {
  if (request.body && !request.bodyUsed) request.body.cancel().catch(() => {});
}
