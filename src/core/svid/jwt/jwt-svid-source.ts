import type { SpiffeId } from "../../spiffeid/spiffe-id.ts";
import type { JwtSvid } from "./jwt-svid.ts";

/**
 * Where a client gets the JWT-SVIDs it presents: a `JwtSource`, or your own object.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example A fixed token (tests)
 * ```ts
 * import { type JwtSvidSource, JwtSvid } from "@spiffe-ts/sdk";
 * const source: JwtSvidSource = { fetchJwtSvid: async () => JwtSvid.parseInsecure(token) };
 * ```
 */
export interface JwtSvidSource {
  /** A JWT-SVID for `audience` (of `subject` when given); may come from a cache. */
  fetchJwtSvid(options: { readonly audience: string | readonly string[]; readonly subject?: SpiffeId | string }): Promise<JwtSvid>;
}
