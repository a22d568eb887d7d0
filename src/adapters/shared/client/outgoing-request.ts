import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";
import { refusedAs } from "./refused-as.ts";
/**
 * What the client sends: a `Request`'s parts, without building a `Request` when there is
 * no body (see {@link outgoingRequest}).
 */
export interface OutgoingRequest {
  readonly url: URL;
  /** As given on the fast path (one of the plain upper-case methods), else normalized by `Request`. */
  readonly method: string;
  readonly headers: Headers;
  /** A body that is produced while it is sent (a stream); null when there is none or `bytes` holds it. */
  readonly body: ReadableStream<Uint8Array> | null;
  /**
   * A body complete before sending (a string, bytes or form parameters): sent with its
   * Content-Length in the same write as the head. Written in pieces, the head, body and
   * chunked-encoding end of a small request wait on each other's ACK (Nagle's algorithm
   * against the server's delayed ACK): ~40 ms per request on Node and Deno.
   */
  readonly bytes?: Uint8Array;
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
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT`: argument `"input"` for an invalid
 *   or non-`https:` URL or credentials in the URL, `"init"` for what `new Request` refuses in
 *   `init` (an invalid method or header, a body on GET); the runtime's `TypeError` is the `cause`.
 */
export function outgoingRequest(input: string | URL | Request, init: RequestInit, abortable: { readonly signal: AbortSignal }): OutgoingRequest {
  const url = input instanceof Request ? new URL(input.url) : parseUrl(input);
  if (url.protocol !== "https:") throw new InvalidArgumentError("input", `SPIFFE mTLS needs an https: URL, got "${url.protocol}"`);
  if (url.username !== "" || url.password !== "") throw new InvalidArgumentError("input", "the URL must not carry credentials (user info)");
  if (!(input instanceof Request) && (init.body === undefined || init.body === null)) {
    const method = init.method ?? "GET";
    if (PLAIN_METHODS.has(method)) return { url, method, headers: refusedAs("init", "invalid headers", () => new Headers(init.headers)), body: null };
  }
  const requestInit: StreamingRequestInit = { ...init, signal: abortable.signal, ...(init.body ? { duplex: "half" } : {}) };
  // validates, and sets the body's default Content-Type
  const request = refusedAs("init", "the request cannot be built", () => new Request(input, requestInit));
  const bytes = completeBody(init.body);
  if (bytes && bytes.byteLength <= ONE_WRITE_MAX_BYTES) {
    // Not every runtime puts the body's default type into request.headers (Bun adds it when it sends).
    const type = defaultContentType(init.body);
    if (type && !request.headers.has("content-type")) request.headers.set("content-type", type);
    return { url: new URL(request.url), method: request.method, headers: request.headers, body: null, bytes };
  }
  return { url: new URL(request.url), method: request.method, headers: request.headers, body: request.body };
}

/** `input` as a URL, or an `InvalidArgumentError` naming it. */
function parseUrl(input: string | URL): URL {
  try {
    return new URL(input);
  } catch (cause) {
    // The text is not repeated: it may carry credentials.
    throw new InvalidArgumentError("input", `must be an absolute https: URL, got ${typeof input === "string" ? "a string that is not one" : describeType(input)}`, { cause });
  }
}

/** Complete bodies up to this size go in one write with the head; larger ones stream (Nagle only delays small writes). */
const ONE_WRITE_MAX_BYTES = 64 * 1024;

/** The Content-Type the Fetch standard gives a body of this kind ("extract a body"), if any. */
function defaultContentType(body: RequestInit["body"]): string | undefined {
  if (typeof body === "string") return "text/plain;charset=UTF-8";
  if (body instanceof URLSearchParams) return "application/x-www-form-urlencoded;charset=UTF-8";
  return undefined;
}

/** The bytes of a body whose whole content is known now, as `Request` would send them; undefined for streams, blobs and form data. */
function completeBody(body: RequestInit["body"]): Uint8Array | undefined {
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof URLSearchParams) return new TextEncoder().encode(body.toString());
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return undefined;
}
