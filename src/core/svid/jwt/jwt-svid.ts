import type { JwtBundle } from "../../bundle/jwt-bundle.ts";
import { type JwtBundleSourceLike, resolveJwtBundle } from "../../bundle/jwt-bundle-source.ts";
import { SpiffeError } from "../../errors/spiffe-error.ts";
import { InvalidArgumentError } from "../../errors/invalid-argument-error.ts";
import { JwtSvidError } from "../../errors/jwt-svid-error.ts";
import { describeType } from "../../lib/describe-type.ts";
import type { SpiffeId } from "../../spiffeid/spiffe-id.ts";
import { type DecodedJwtSvid, decodeJwtSvid, deepFreeze, show } from "./decode-jwt-svid.ts";
import { keyMismatch, verifyJws } from "./verify-jws.ts";

/** Default clock skew tolerated for `exp` and `nbf`, seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** Largest clock skew that may be configured, seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * Options of {@link JwtSvid.parseAndValidate}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface JwtSvidValidateOptions {
  /** The time to validate `exp` and `nbf` at. Default: now. */
  readonly now?: Date;
  /**
   * Leeway for `exp` and `nbf` against clocks that differ between hosts, in seconds.
   * Default 30, at most 300.
   */
  readonly clockSkewSeconds?: number;
}

/**
 * The JSON form of a {@link JwtSvid}: everything but the token.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface JwtSvidJson {
  /** The SPIFFE ID (`sub`). */
  id: string;
  /** The audience (`aud`). */
  audience: string[];
  /** When the token expires (`exp`), ISO 8601. */
  expiresAt: string;
  /** The Workload API's hint for this SVID (`""` when none). */
  hint: string;
}

const NODE_INSPECT = Symbol.for("nodejs.util.inspect.custom");
const DENO_INSPECT = Symbol.for("Deno.customInspect");

let create: (decoded: DecodedJwtSvid, token: string, hint: string) => JwtSvid;

/**
 * A JWT-SVID: a JWT whose `sub` is a SPIFFE ID, signed by a JWT authority of that ID's
 * trust domain (JWT-SVID spec). Immutable.
 *
 * The token is a bearer credential: it never appears in `toString()`, `toJSON()`, console
 * output or error messages; read it explicitly with `token`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example Validating a token received from a peer
 * ```ts
 * import { JwtSvid } from "@spiffe-ts/sdk";
 * const svid = await JwtSvid.parseAndValidate(token, jwtSource, "spiffe://example.org/api");
 * svid.id.toString(); // "spiffe://example.org/web"
 * ```
 */
export class JwtSvid {
  /** The SPIFFE ID of the subject (`sub`). */
  readonly id: SpiffeId;
  /** Operator-chosen hint from the Workload API (`""` when none). */
  readonly hint: string;
  readonly #token: string;
  readonly #expiresAt: number;
  // Frozen when first read: freezing costs more than the rest of the parsing on Bun (JSC), and
  // most validations never read them. Neither object is reachable from outside before.
  readonly #audience: string[];
  readonly #claims: Record<string, unknown>;
  #audienceFrozen = false;
  #claimsFrozen = false;

  static {
    create = (decoded, token, hint) => new JwtSvid(decoded, token, hint);
  }

  private constructor(decoded: DecodedJwtSvid, token: string, hint: string) {
    this.id = decoded.id;
    this.#audience = decoded.audience;
    this.#claims = decoded.claims;
    this.hint = hint;
    this.#token = token;
    this.#expiresAt = decoded.exp * 1000;
  }

  /**
   * Parses a JWT-SVID and validates it against the JWT authorities of its subject's trust
   * domain, for `audience`. Every rule of the JWT-SVID spec is checked here:
   *
   * - JWS compact serialization only (three base64url parts of JSON objects);
   * - `alg` one of RS256/384/512, ES256/384/512, PS256/384/512 (never `none`, HMAC or
   *   EdDSA, whatever key the bundle holds), and fitting the key: type, curve, and the key's
   *   own `alg` when the bundle gives one;
   * - `typ` absent, `JWT` or `JOSE`; no `crit`; no header other than `alg`, `kid`, `typ`;
   * - `sub` a valid SPIFFE ID of a workload: one with a path (`spiffe://example.org`
   *   alone names a trust domain and is refused with `ERR_JWT_SVID_NO_PATH`); the key
   *   comes only from the JWT bundle of that ID's trust domain: the `kid` key when the
   *   token names one, else any key of that bundle;
   * - `aud` present and containing `audience` (or one of them, when a list is given);
   * - `exp` present and not past, `nbf` (when present) not in the future, each with the
   *   clock skew of `options`; `iat` is not required.
   *
   * @param audience - The name(s) this validator identifies with; the token must be for one of them.
   * @throws {JwtSvidError} with the code of the rule that failed (see {@link JwtSvidErrorCode}).
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a token that is not a non-empty
   *   string, a bad audience, options or bundle source (`argument`: `"token"`, `"audience"`,
   *   `"options"`, `"options.now"`, `"options.clockSkewSeconds"` or `"bundleSource"`).
   */
  static async parseAndValidate(
    token: string,
    bundleSource: JwtBundleSourceLike,
    audience: string | readonly string[],
    options: JwtSvidValidateOptions = {},
  ): Promise<JwtSvid> {
    const expected = checkAudience(audience);
    const { nowSeconds, skew } = checkOptions(options);
    checkSource(bundleSource);
    const decoded = decodeJwtSvid(token);
    const bundle = bundleOf(bundleSource, decoded);
    await verifySignature(token, decoded, bundle);
    if (!decoded.audience.some((a) => expected.includes(a))) {
      throw new JwtSvidError(
        "ERR_JWT_SVID_AUDIENCE_MISMATCH",
        `the token is for ${show(decoded.audience)}, not for ${expected.length === 1 ? show(expected[0]) : `any of ${show(expected)}`} (JWT-SVID spec §3.2)`,
      );
    }
    if (nowSeconds >= decoded.exp + skew) {
      throw new JwtSvidError("ERR_JWT_SVID_EXPIRED", `the token expired at ${new Date(decoded.exp * 1000).toISOString()} (clock skew ${skew} s)`);
    }
    if (decoded.nbf !== undefined && decoded.nbf > nowSeconds + skew) {
      throw new JwtSvidError("ERR_JWT_SVID_NOT_YET_VALID", `the token is not valid before ${new Date(decoded.nbf * 1000).toISOString()} (clock skew ${skew} s)`);
    }
    return create(decoded, token, "");
  }

  /**
   * Parses a JWT-SVID **without checking its signature, audience or expiry**: for tooling
   * and for tokens the local agent just issued to this workload. Never use it to
   * authenticate a peer; use {@link JwtSvid.parseAndValidate}. The serialization, header
   * and claim-shape rules (`sub`, `aud`, `exp` present and well formed, `sub` a workload's
   * SPIFFE ID with a path) are still checked.
   *
   * @throws {JwtSvidError} the codes of the serialization, header and claims rules.
   */
  static parseInsecure(token: string): JwtSvid {
    return create(decodeJwtSvid(token), token, "");
  }

  /** The `aud` claim as a list (frozen). */
  get audience(): readonly string[] {
    if (!this.#audienceFrozen) {
      Object.freeze(this.#audience);
      this.#audienceFrozen = true;
    }
    return this.#audience;
  }

  /** Every claim of the token (deep-frozen). */
  get claims(): Readonly<Record<string, unknown>> {
    if (!this.#claimsFrozen) {
      deepFreeze(this.#claims);
      this.#claimsFrozen = true;
    }
    return this.#claims;
  }

  /** The JWT-SVID in JWS compact serialization. A bearer credential: never log it. */
  get token(): string {
    return this.#token;
  }

  /** The `exp` claim. */
  get expiresAt(): Date {
    return new Date(this.#expiresAt);
  }

  /** A JSON-safe description without the token. */
  toJSON(): JwtSvidJson {
    return { id: this.id.toString(), audience: [...this.audience], expiresAt: this.expiresAt.toISOString(), hint: this.hint };
  }

  /** `JwtSvid(spiffe://…, aud […], expires …)`, without the token. */
  toString(): string {
    return `JwtSvid(${this.id}, aud ${JSON.stringify(this.audience)}, expires ${this.expiresAt.toISOString()}${this.hint ? `, hint ${JSON.stringify(this.hint)}` : ""})`;
  }

  /** Console output on Node and Bun: no token. */
  [NODE_INSPECT](): string {
    return this.toString();
  }

  /** Console output on Deno: no token. */
  [DENO_INSPECT](): string {
    return this.toString();
  }
}

/** @internal {@link JwtSvid.parseInsecure} with the Workload API's `hint` (for the Workload API client). */
export function parseJwtSvidInsecure(token: string, hint: string): JwtSvid {
  return create(decodeJwtSvid(token), token, hint);
}

function checkAudience(audience: unknown): readonly string[] {
  const list = typeof audience === "string" ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === "string" && a !== "")) {
    throw new InvalidArgumentError("audience", `audience must be a non-empty string or a non-empty array of non-empty strings, got ${audience === "" ? "an empty string" : describeType(audience)}`);
  }
  return list as readonly string[];
}

function checkOptions(options: unknown): { nowSeconds: number; skew: number } {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `options must be an object, got ${describeType(options)}`);
  const { now, clockSkewSeconds } = options as JwtSvidValidateOptions;
  if (now !== undefined && !(now instanceof Date && !Number.isNaN(now.getTime()))) {
    throw new InvalidArgumentError("options.now", `options.now must be a valid Date, got ${describeType(now)}`);
  }
  const skew = clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  if (typeof skew !== "number" || !Number.isFinite(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_SECONDS) {
    throw new InvalidArgumentError("options.clockSkewSeconds", `options.clockSkewSeconds must be a number from 0 to ${MAX_CLOCK_SKEW_SECONDS}, got ${typeof skew === "number" ? skew : describeType(skew)}`);
  }
  return { nowSeconds: (now === undefined ? Date.now() : now.getTime()) / 1000, skew };
}

function checkSource(source: unknown): void {
  const s = source as { getJwtBundleForTrustDomain?: unknown; getForTrustDomain?: unknown } | null;
  if ((typeof s !== "object" && typeof s !== "function") || s === null || (typeof s.getJwtBundleForTrustDomain !== "function" && typeof s.getForTrustDomain !== "function")) {
    throw new InvalidArgumentError(
      "bundleSource",
      `the bundle source must be an object with getJwtBundleForTrustDomain(td) or getForTrustDomain(td), such as a JwtBundle, a BundleSet or a JwtSource; got ${describeType(source)}`,
    );
  }
}

/** The JWT bundle of the subject's trust domain; never another trust domain's. */
function bundleOf(source: JwtBundleSourceLike, decoded: DecodedJwtSvid): JwtBundle {
  try {
    return resolveJwtBundle(source, decoded.id.trustDomain);
  } catch (err) {
    const reason = err instanceof SpiffeError ? err.message : "the bundle source failed";
    throw new JwtSvidError("ERR_JWT_SVID_NO_BUNDLE", `cannot validate a JWT-SVID of "${decoded.id.trustDomain.name}": ${reason}`, { cause: err });
  }
}

/** The `kid` key, or (no `kid`) any key of the bundle that fits `alg`, must verify the token. */
async function verifySignature(token: string, decoded: DecodedJwtSvid, bundle: JwtBundle): Promise<void> {
  const { alg, kid } = decoded;
  const td = bundle.trustDomain.name;
  if (kid !== undefined) {
    const jwk = bundle.findKey(kid);
    if (!jwk) throw new JwtSvidError("ERR_JWT_SVID_KEY_NOT_FOUND", `the JWT bundle of "${td}" has no key with the token's kid ${show(kid)}`);
    const mismatch = keyMismatch(jwk, alg);
    if (mismatch) throw new JwtSvidError("ERR_JWT_SVID_ALG_KEY_MISMATCH", `the token's algorithm does not fit its key: ${mismatch}`);
    if (!(await verifyJws(token, decoded.signature, alg, jwk))) throw new JwtSvidError("ERR_JWT_SVID_SIGNATURE", `the token's signature does not verify with key ${show(kid)} of "${td}"`);
    return;
  }
  if (bundle.keys.length === 0) throw new JwtSvidError("ERR_JWT_SVID_KEY_NOT_FOUND", `the JWT bundle of "${td}" has no keys: it trusts no JWT-SVID`);
  const fitting = bundle.keys.filter((k) => keyMismatch(k.jwk, alg) === undefined);
  if (fitting.length === 0) throw new JwtSvidError("ERR_JWT_SVID_ALG_KEY_MISMATCH", `the token has no kid and no key of "${td}" fits its algorithm ${alg}`);
  for (const k of fitting) if (await verifyJws(token, decoded.signature, alg, k.jwk)) return;
  throw new JwtSvidError("ERR_JWT_SVID_SIGNATURE", `the token has no kid and its signature verifies with no key of "${td}"`);
}
