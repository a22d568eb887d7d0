import { SpiffeIdError } from "../errors/spiffe-id-error.ts";
import {
  checkIdLength,
  checkPath,
  checkPathSegment,
  checkString,
  checkTrustDomainName,
  quote,
  SCHEME_PREFIX,
} from "./id-rules.ts";
import { TrustDomain } from "./trust-domain.ts";

/**
 * A SPIFFE ID (`spiffe://trust-domain/path`), validated per the SPIFFE-ID specification.
 * Behaves like `URL`: `parse` throws, `canParse` answers; `toString()`/`toJSON()` give the text.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { SpiffeId } from "@spiffe-ts/sdk";
 * const id = SpiffeId.parse("spiffe://example.org/ns/prod/sa/web");
 * id.trustDomain.name;          // "example.org"
 * id.path;                      // "/ns/prod/sa/web"
 * id.segments;                  // ["ns", "prod", "sa", "web"]
 * id.hasPathPrefix("/ns/prod"); // true (whole segments only: "/ns/pro" is false)
 * id.memberOf("example.org");   // true
 * ```
 */
export class SpiffeId {
  /** The trust domain the ID belongs to. */
  readonly trustDomain: TrustDomain;
  /** The path, `""` for a trust domain's own ID, else starting with `/` (e.g. `/ns/prod/sa/web`). */
  readonly path: string;
  readonly #text: string;

  private constructor(trustDomain: TrustDomain, path: string) {
    this.trustDomain = trustDomain;
    this.path = path;
    this.#text = SCHEME_PREFIX + trustDomain.name + path;
    // Immutable like a string: identities are shared between connections and handlers.
    Object.freeze(this);
  }

  /**
   * Parses a SPIFFE ID. The scheme must be exactly `spiffe` (lowercase), the trust domain
   * non-empty and lowercase, no port/userinfo/query/fragment/percent-encoding, no empty,
   * `.` or `..` segment, no trailing slash, at most 2048 bytes.
   *
   * @throws {SpiffeIdError} with the `code` of the rule that failed.
   */
  static parse(text: string): SpiffeId {
    checkString(text, "SPIFFE ID");
    checkIdLength(text);
    if (!text.startsWith(SCHEME_PREFIX)) {
      throw new SpiffeIdError(
        "ERR_SPIFFE_ID_WRONG_SCHEME",
        `a SPIFFE ID starts with "spiffe://" (lowercase), as in "spiffe://example.org/service"; got ${quote(text)}`,
      );
    }
    const rest = text.slice(SCHEME_PREFIX.length);
    const slash = rest.indexOf("/");
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? "" : rest.slice(slash);
    checkTrustDomainName(name, text);
    checkPath(path, text);
    return new SpiffeId(TrustDomain.fromValidatedName(name), path);
  }

  /** Like {@link SpiffeId.parse}, but returns `false` instead of throwing. */
  static canParse(text: string): boolean {
    try {
      SpiffeId.parse(text);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Builds an ID from a trust domain and a path (`""` or starting with `/`).
   *
   * @example
   * ```ts
   * SpiffeId.fromPath("example.org", "/web").toString(); // "spiffe://example.org/web"
   * ```
   * @throws {SpiffeIdError} if the trust domain or the path is invalid.
   */
  static fromPath(trustDomain: TrustDomain | string, path: string): SpiffeId {
    const td = typeof trustDomain === "string" ? TrustDomain.parse(trustDomain) : trustDomain;
    if (typeof path !== "string") throw new SpiffeIdError("ERR_SPIFFE_ID_EMPTY", "path must be a string");
    const text = SCHEME_PREFIX + td.name + path;
    checkIdLength(text);
    checkPath(path, text);
    return new SpiffeId(td, path);
  }

  /**
   * Builds an ID from a trust domain and path segments (each without `/`).
   *
   * @example
   * ```ts
   * SpiffeId.fromSegments("example.org", "ns", "prod").toString(); // "spiffe://example.org/ns/prod"
   * ```
   * @throws {SpiffeIdError} if the trust domain or a segment is invalid.
   */
  static fromSegments(trustDomain: TrustDomain | string, ...segments: string[]): SpiffeId {
    const td = typeof trustDomain === "string" ? TrustDomain.parse(trustDomain) : trustDomain;
    const path = segments.map((s) => `/${s}`).join("");
    const text = SCHEME_PREFIX + td.name + path;
    checkIdLength(text);
    for (const s of segments) {
      if (typeof s !== "string" || s.includes("/")) {
        throw new SpiffeIdError("ERR_SPIFFE_ID_PATH_CHARS", `a path segment must not contain "/": ${quote(String(s))}`);
      }
      checkPathSegment(s, false, text);
    }
    return new SpiffeId(td, path);
  }

  /** The path segments, e.g. `["ns", "prod"]` for `/ns/prod`; empty for a trust domain ID. */
  get segments(): readonly string[] {
    return this.path === "" ? [] : this.path.slice(1).split("/");
  }

  /** True when the ID has no path, i.e. it names a trust domain (`spiffe://example.org`). */
  get isTrustDomainId(): boolean {
    return this.path === "";
  }

  /** True when this is the same ID (compared as text; SPIFFE IDs are canonical). */
  equals(other: SpiffeId | string): boolean {
    return this.#text === (typeof other === "string" ? other : other.#text);
  }

  /** True when the ID belongs to the trust domain (`TrustDomain` or a name like `example.org`). */
  memberOf(trustDomain: TrustDomain | string): boolean {
    return this.trustDomain.equals(trustDomain);
  }

  /**
   * True when the path starts with `prefix` on a segment boundary: `/ns/prod` matches
   * `/ns/prod` and `/ns/prod/web`, never `/ns/production`. `"/"` or `""` match every path.
   */
  hasPathPrefix(prefix: string): boolean {
    const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    if (p === "") return true;
    return this.path === p || this.path.startsWith(`${p}/`);
  }

  /**
   * True when the path ends with `suffix` on a segment boundary: `/web` matches
   * `/ns/prod/web`, never `/ns/prod/myweb`. A suffix without a leading `/` is treated as
   * whole trailing segments (`"web"` ≡ `"/web"`).
   */
  hasPathSuffix(suffix: string): boolean {
    const s = suffix.startsWith("/") ? suffix : `/${suffix}`;
    if (s === "/") return true;
    return this.path === s || this.path.endsWith(s);
  }

  /** The ID as text, e.g. `spiffe://example.org/web`. */
  toString(): string {
    return this.#text;
  }

  /** The ID as text, so `JSON.stringify` shows it. */
  toJSON(): string {
    return this.#text;
  }
}
