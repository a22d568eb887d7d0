import { BundleError } from "../errors/bundle-error.ts";
import { InvalidArgumentError } from "../errors/invalid-argument-error.ts";
import { describeType } from "../lib/describe-type.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import { guard, lookupName, toTrustDomain } from "./bundle-args.ts";
import { type IgnoredJwk, ignoredJwk, isJsonObject, readJwkEntry, readJwkSet, show } from "./jwk-set.ts";
import { canonicalJwk, type CheckedJwtKey, checkJwtSvidKey } from "./jwt-key.ts";
import type { PublicJwk } from "./public-jwk.ts";

/**
 * One trusted JWT-SVID signing key of a {@link JwtBundle}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface JwtBundleKey {
  /** The key ID (`kid`), unique within the bundle. */
  readonly kid: string;
  /** The public key, normalized (see {@link JwtBundle.findKey}). */
  readonly jwk: PublicJwk;
}

let create: (td: TrustDomain, keys: readonly CheckedJwtKey[], ignored: readonly IgnoredJwk[], where: string) => JwtBundle;

/**
 * The JWT-SVID signing keys (JWT authorities) of one trust domain, by key ID. Immutable.
 *
 * Parsing follows the JWT-SVID spec (§6) and the SPIFFE bundle spec (§4):
 * - a key whose `use` is present and not `jwt-svid` is ignored (a plain JWKS, as the
 *   Workload API serves it, may leave `use` out);
 * - a key of unknown `kty`, an `OKP` (EdDSA) or `oct` key, an EC curve other than
 *   P-256/P-384/P-521, an RSA modulus outside 2048–16384 bits, an `alg` that is not a
 *   JWT-SVID algorithm for the key (RS/PS for RSA, ES256/384/512 for the matching curve),
 *   or `key_ops` without `verify` is ignored, without dropping the other keys; the reasons
 *   are in {@link JwtBundle.ignoredKeys};
 * - the whole bundle is refused when any JWK holds private key material, when a usable key
 *   has no `kid` (JWT-SVID spec §6.1: it MUST be set), when two usable keys share a `kid`,
 *   or when a key's members are missing or badly encoded;
 * - an empty key set is valid and trusts nothing.
 *
 * A bundle is also a JWT bundle source for its own trust domain.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { JwtBundle } from "@spiffe-ts/sdk";
 * const bundle = JwtBundle.parse("example.org", '{"keys": []}');
 * const jwk = bundle.findKey("my-kid"); // undefined: the bundle trusts nothing
 * if (jwk) await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
 * ```
 */
export class JwtBundle {
  /** The trust domain these keys belong to. */
  readonly trustDomain: TrustDomain;
  /** The trusted keys, in document order (frozen). */
  readonly keys: readonly JwtBundleKey[];
  /** The JWKs that were skipped and why (frozen; empty for bundles built with {@link JwtBundle.fromKeys}). */
  readonly ignoredKeys: readonly IgnoredJwk[];
  readonly #byKid: ReadonlyMap<string, PublicJwk>;

  static {
    create = (td, keys, ignored, where) => {
      const byKid = new Map<string, PublicJwk>();
      for (const k of keys) {
        if (byKid.has(k.kid)) throw new BundleError("ERR_BUNDLE_DUPLICATE_KID", `${where}: two keys have the kid ${show(k.kid)}; a kid must name one key`);
        byKid.set(k.kid, k.jwk);
      }
      return new JwtBundle(td, keys, ignored, byKid);
    };
  }

  private constructor(td: TrustDomain, keys: readonly CheckedJwtKey[], ignored: readonly IgnoredJwk[], byKid: ReadonlyMap<string, PublicJwk>) {
    this.trustDomain = td;
    this.keys = Object.freeze(keys.map((k) => Object.freeze({ kid: k.kid, jwk: k.jwk })));
    this.ignoredKeys = Object.freeze([...ignored]);
    this.#byKid = byKid;
  }

  /**
   * Parses a JWK Set document (`{"keys": [...]}`) as JSON text, UTF-8 bytes or an object.
   * Other top-level members (such as `spiffe_sequence`) are allowed and not read.
   *
   * @throws {BundleError} `ERR_BUNDLE_JSON` (not JSON), `ERR_BUNDLE_JWKS` (not a JWK Set),
   *   `ERR_BUNDLE_JWK` (malformed key), `ERR_BUNDLE_JWK_PRIVATE`, `ERR_BUNDLE_DUPLICATE_KID`,
   *   `ERR_BUNDLE_TOO_LARGE`.
   * @throws {SpiffeIdError} if the trust domain is invalid.
   */
  static parse(trustDomain: TrustDomain | string, jwks: string | Uint8Array | object): JwtBundle {
    const td = toTrustDomain(trustDomain);
    const where = `JWT bundle of "${td.name}"`;
    return guard(where, () => {
      const { keys } = readJwkSet(jwks, where);
      const usable: CheckedJwtKey[] = [];
      const ignored: IgnoredJwk[] = [];
      keys.forEach((entry, index) => {
        const e = readJwkEntry(entry, index, where);
        if (e.use !== undefined && e.use !== "jwt-svid") {
          ignored.push(ignoredJwk(index, e, `"use" is ${show(e.use)}, not "jwt-svid"`));
          return;
        }
        const checked = checkJwtSvidKey(e.jwk, e.kty, e.kid, `${where}: key ${index}`);
        if (typeof checked === "string") ignored.push(ignoredJwk(index, e, checked));
        else usable.push(checked);
      });
      return create(td, usable, ignored, where);
    });
  }

  /**
   * Builds a bundle from public JWKs (such as Web Crypto `exportKey("jwk", publicKey)`
   * results): an array (each with its `kid`) or a record from kid to JWK (a `kid` inside the
   * JWK, if any, must equal the record key). Stricter than
   * {@link JwtBundle.parse}: a key that `parse` would ignore is an error here.
   *
   * @throws {BundleError} `ERR_BUNDLE_JWK` (malformed or unusable key),
   *   `ERR_BUNDLE_JWK_PRIVATE`, `ERR_BUNDLE_DUPLICATE_KID`.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"keys"`) when `keys` is
   *   neither an array nor a record.
   */
  static fromKeys(
    trustDomain: TrustDomain | string,
    keys: Readonly<Record<string, Partial<PublicJwk>>> | ReadonlyArray<Partial<PublicJwk>>,
  ): JwtBundle {
    const td = toTrustDomain(trustDomain);
    const where = `JWT bundle of "${td.name}"`;
    return guard(where, () => {
      let list: readonly unknown[];
      if (Array.isArray(keys)) {
        list = keys;
      } else if (isJsonObject(keys)) {
        list = Object.entries(keys).map(([kid, jwk]) => {
          if (!isJsonObject(jwk)) return jwk;
          if (jwk["kid"] !== undefined && jwk["kid"] !== kid) {
            throw new BundleError("ERR_BUNDLE_JWK", `${where}: key ${show(kid)} has a different "kid" inside (${show(jwk["kid"])})`);
          }
          return { ...jwk, kid };
        });
      } else {
        throw new InvalidArgumentError("keys", `${where}: keys must be an array of JWKs or a record from kid to JWK, got ${describeType(keys)}`);
      }
      const { keys: entries } = readJwkSet({ keys: list }, where);
      const usable = entries.map((entry, index) => {
        const e = readJwkEntry(entry, index, where);
        if (e.use !== undefined && e.use !== "jwt-svid") {
          throw new BundleError("ERR_BUNDLE_JWK", `${where}: key ${index} has "use" ${show(e.use)}, expected "jwt-svid" or none`);
        }
        const checked = checkJwtSvidKey(e.jwk, e.kty, e.kid, `${where}: key ${index}`);
        if (typeof checked === "string") throw new BundleError("ERR_BUNDLE_JWK", `${where}: key ${index} cannot verify JWT-SVIDs: ${checked}`);
        return checked;
      });
      return create(td, usable, [], where);
    });
  }

  /**
   * The public JWK with this key ID, or `undefined`. The JWK is frozen and normalized: only
   * `kty`, `kid`, `alg` (when the bundle gave one) and the public key members (`crv`/`x`/`y`
   * or `n`/`e`), no `use`, so it can be passed to `crypto.subtle.importKey("jwk", ...)`.
   */
  findKey(kid: string): PublicJwk | undefined {
    return typeof kid === "string" ? this.#byKid.get(kid) : undefined;
  }

  /** True when the bundle trusts a key with this key ID. */
  hasKey(kid: string): boolean {
    return this.findKey(kid) !== undefined;
  }

  /** The trusted keys as a JWK Set, each with `use: "jwt-svid"` (fresh objects). */
  toJwks(): { keys: PublicJwk[] } {
    return { keys: this.keys.map((k) => ({ ...k.jwk, use: "jwt-svid" })) };
  }

  /** {@link JwtBundle.toJwks} as JSON text; `JwtBundle.parse` of it gives an equal bundle. */
  toJson(): string {
    return JSON.stringify(this.toJwks());
  }

  /** True when both bundles have the same trust domain and the same keys by kid (order does not matter). */
  equals(other: JwtBundle): boolean {
    if (!(other instanceof JwtBundle) || !this.trustDomain.equals(other.trustDomain) || this.#byKid.size !== other.#byKid.size) return false;
    for (const [kid, jwk] of this.#byKid) {
      const o = other.#byKid.get(kid);
      if (!o || canonicalJwk(o) !== canonicalJwk(jwk)) return false;
    }
    return true;
  }

  /** This bundle if `trustDomain` is its trust domain, else `undefined` (bundle-source interface). */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain | string): JwtBundle | undefined {
    return lookupName(trustDomain) === this.trustDomain.name ? this : undefined;
  }

  /** Same as {@link JwtBundle.getJwtBundleForTrustDomain}. */
  getForTrustDomain(trustDomain: TrustDomain | string): JwtBundle | undefined {
    return this.getJwtBundleForTrustDomain(trustDomain);
  }
}

/** @internal Builds a bundle from keys already checked by `checkJwtSvidKey` (used by `SpiffeBundle`). */
export function newJwtBundle(td: TrustDomain, keys: readonly CheckedJwtKey[], ignored: readonly IgnoredJwk[], where: string): JwtBundle {
  return create(td, keys, ignored, where);
}
