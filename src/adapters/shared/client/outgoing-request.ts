/**
 * What the client sends: a `Request`'s parts, without building a `Request` when there is
 * no body (see {@link outgoingRequest}).
 */
export interface OutgoingRequest {
  readonly url: URL;
  /** As given on the fast path (one of the plain upper-case methods), else normalized by `Request`. */
  readonly method: string;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

/** `RequestInit` with `duplex`, which a streamed body needs and the DOM typings do not list yet. */
type StreamingRequestInit = RequestInit & { duplex?: "half" };

/** Methods sent as given (upper case) on the fast path; anything else goes through `new Request`, which validates and normalizes it. */
const PLAIN_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "DELETE", "OPTIONS", "POST", "PUT", "PATCH"]);

/**
 * The request to send. A body-less request to a string or URL skips the Web `Request`
 * (the costliest object of a small request on Node); anything else is built as a
 * `Request`, with its checks and body handling.
 *
 * @throws {TypeError} for an invalid URL or method, or forbidden credentials in the URL, as `new Request` does.
 */
export function outgoingRequest(input: string | URL | Request, init: RequestInit, signal: AbortSignal): OutgoingRequest {
  if (!(input instanceof Request) && (init.body === undefined || init.body === null)) {
    const method = init.method ?? "GET";
    const url = new URL(input); // throws TypeError for an invalid URL, as `new Request` does
    if (PLAIN_METHODS.has(method) && url.username === "" && url.password === "") {
      const headers = new Headers(init.headers);
      return { url, method, headers, body: null };
    }
  }
  const requestInit: StreamingRequestInit = { ...init, signal, ...(init.body ? { duplex: "half" } : {}) };
  const request = new Request(input, requestInit);
  return { url: new URL(request.url), method: request.method, headers: request.headers, body: request.body };
}
