import type { SpiffeId } from "../../../core/spiffeid/spiffe-id.ts";
import type { PeerIdentity } from "../../../http/peer-identity.ts";

/**
 * What `spiffeExpress` and `spiffeFastify` put on the request, and `spiffeKoa` on
 * `ctx.state`, as read-only properties: the caller's verified SPIFFE ID and identity (from
 * the TLS handshake, never from a header). Frameworks are not dependencies of the SDK, so
 * their request types do not know these fields: merge them in once per application.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example Express, Fastify and Koa
 * ```ts
 * import type { SpiffeRequestFields } from "@spiffe-ts/sdk/node";
 * declare global {
 *   namespace Express {
 *     interface Request extends Partial<SpiffeRequestFields> {}
 *   }
 * }
 * declare module "fastify" {
 *   interface FastifyRequest extends Partial<SpiffeRequestFields> {}
 * }
 * // Koa: new Koa<SpiffeRequestFields>() types ctx.state.spiffeId
 * ```
 */
export interface SpiffeRequestFields {
  /** The caller's verified SPIFFE ID. */
  readonly spiffeId: SpiffeId;
  /** The caller's verified identity (ID, mechanism, certificate chain). */
  readonly spiffePeer: PeerIdentity;
}
