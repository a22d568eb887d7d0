import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { attachPeerIdentity } from "./peer-identity.ts";

/**
 * Test helper: attaches a SPIFFE ID to a request as if it had been verified over mTLS, so
 * handlers and middleware can be unit-tested without TLS. Returns the same request.
 * The identity is marked with mechanism `"test"`.
 *
 * Exported from `@spiffe-ts/sdk/testing` only, so production code cannot reach it by accident.
 *
 * @example
 * ```ts
 * import { withSpiffeId } from "@spiffe-ts/sdk/testing";
 * const response = await handler(withSpiffeId(new Request("http://x/api/hello"), "spiffe://example.org/client"));
 * ```
 * @throws {SpiffeIdError} if `id` is not a valid SPIFFE ID.
 */
export function withSpiffeId(request: Request, id: SpiffeId | string): Request {
  attachPeerIdentity(request, { id: typeof id === "string" ? SpiffeId.parse(id) : id, mechanism: "test", certificates: [] });
  return request;
}
