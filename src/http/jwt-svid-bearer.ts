import { ConfigError } from "../core/errors/config-error.ts";
import type { JwtSvidSource } from "../core/svid/jwt/jwt-svid-source.ts";

/**
 * The `jwtSvid` option of `createMtlsClient`: present a JWT-SVID for `audience` in
 * `Authorization: Bearer` on every request (JWT-SVID spec §5.2).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface MtlsClientJwtSvidOptions {
  /** Where the tokens come from, usually a `JwtSource` (created with `cacheJwtSvids: true`). */
  readonly source: JwtSvidSource;
  /** The audience the tokens are for (the server's name, e.g. its SPIFFE ID). */
  readonly audience: string | readonly string[];
}

/**
 * @internal Validates the option and returns what sets `Authorization: Bearer <JWT-SVID>` on
 * a request's headers (unless the request sets `Authorization` itself), or `undefined` when
 * the option is absent.
 *
 * @throws {ConfigError} for a malformed option.
 */
export function jwtSvidAuthorizer(option: MtlsClientJwtSvidOptions | undefined): ((headers: Headers) => Promise<void>) | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "object" || option === null) throw new ConfigError("jwtSvid", "must be an object with source and audience");
  const { source, audience } = option;
  if (typeof source !== "object" || source === null || typeof source.fetchJwtSvid !== "function") {
    throw new ConfigError("jwtSvid.source", "must provide fetchJwtSvid({ audience }), e.g. a JwtSource from JwtSource.create()");
  }
  const list = typeof audience === "string" ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === "string" && a !== "")) {
    throw new ConfigError("jwtSvid.audience", "must be a non-empty string or a non-empty array of non-empty strings");
  }
  const request = { audience: typeof audience === "string" ? audience : [...list] };
  return async (headers) => {
    if (headers.has("authorization")) return;
    const { token } = await source.fetchJwtSvid(request);
    headers.set("authorization", `Bearer ${token}`);
  };
}
