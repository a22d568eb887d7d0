// The errors of a body whose connection closed before it ended (see readableToWeb's
// closedEarly), one per side, so a reader sees the same error on Node, Bun and Deno. Internal.
import { MtlsClientError } from "../../core/errors/mtls-client-error.ts";

/** For a client reading an answer: `MtlsClientError` `ERR_MTLS_CLIENT_BODY_INCOMPLETE`. */
export function answerClosedEarly(): MtlsClientError {
  return new MtlsClientError("ERR_MTLS_CLIENT_BODY_INCOMPLETE", "the connection closed before the answer's body ended");
}

/**
 * For a server handler reading a request: the client went away, so the body fails as the
 * request was aborted — with `signal`'s reason once it is aborted, else with an `AbortError`
 * `DOMException` (what a Web handler's `request.signal` reports when its client goes away).
 */
export function requestClosedEarly(signal: AbortSignal): unknown {
  return signal.aborted ? signal.reason : new DOMException("the client closed the connection before the request body ended", "AbortError");
}
