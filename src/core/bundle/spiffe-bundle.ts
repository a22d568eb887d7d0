import { BundleError } from "../errors/bundle-error.ts";
import { InvalidArgumentError } from "../errors/invalid-argument-error.ts";
import { decodeBase64Url } from "../lib/base64url.ts";
import { decodeBase64, encodeBase64 } from "../lib/bytes.ts";
import { describeType } from "../lib/describe-type.ts";
import { readCertificate } from "../lib/certificate.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import { guard, lookupName, toTrustDomain } from "./bundle-args.ts";
import { certificateJwk } from "./certificate-jwk.ts";
import { type IgnoredJwk, ignoredJwk, type JsonObject, own, readJwkEntry, readJwkSet, readNonNegativeInteger, show } from "./jwk-set.ts";
import { JwtBundle, newJwtBundle } from "./jwt-bundle.ts";
import { type CheckedJwtKey, checkJwtSvidKey, stripLeadingZeros } from "./jwt-key.ts";
import type { PublicJwk } from "./public-jwk.ts";
import { parsedAuthoritiesOf, X509Bundle } from "./x509-bundle.ts";

/**
 * A SPIFFE bundle as a JSON document (SPIFFE Trust Domain and Bundle spec §4), as returned
 * by {@link SpiffeBundle.toJwks}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface SpiffeBundleDocument {
  /** `spiffe_sequence`: increases whenever the bundle changes (§4.1.1). */
  spiffe_sequence?: number;
  /** `spiffe_refresh_hint`: suggested refresh interval in seconds (§4.1.2). */
  spiffe_refresh_hint?: number;
  /** The `x509-svid` keys (each with one `x5c` certificate), then the `jwt-svid` keys. */
  keys: PublicJwk[];
}

/**
 * The parts {@link SpiffeBundle.fromBundles} assembles a SPIFFE bundle from.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface SpiffeBundleParts {
  /** X.509 authorities of the same trust domain. Default: none. */
  readonly x509?: X509Bundle;
  /** JWT authorities of the same trust domain. Default: none. */
  readonly jwt?: JwtBundle;
  /** `spiffe_sequence`, a non-negative safe integer. Default: absent. */
  readonly sequenceNumber?: number;
  /** `spiffe_refresh_hint` in seconds, a non-negative safe integer. Default: absent. */
  readonly refreshHintSeconds?: number;
}

const X509_KTYS: ReadonlySet<string> = new Set(["RSA", "EC", "OKP"]);

/**
 * A SPIFFE bundle: the X.509 and JWT authorities of one trust domain plus the
 * `spiffe_sequence` and `spiffe_refresh_hint` metadata, in the JWK Set format of the SPIFFE
 * Trust Domain and Bundle spec (§4). Immutable.
 *
 * Parsing rules (spec §4.1.3, §4.2; X509-SVID spec §6.2; JWT-SVID spec §6.2):
 * - `keys` MUST be present; `[]` is valid and trusts nothing.
 * - A JWK with no `use`, or a `use` other than `x509-svid` / `jwt-svid`, is ignored, as is a
 *   JWK of unknown `kty`; the other keys are kept. Reasons are in {@link SpiffeBundle.ignoredKeys}.
 * - `x509-svid`: the first `x5c` certificate is the authority (later ones are ignored, as
 *   the X509-SVID spec says); an entry without `x5c` or with `[]` is ignored. An undecodable
 *   certificate, or key members (`kty`, `n`/`e`, `crv`/`x`/`y`) that contradict the
 *   certificate's key, refuse the bundle. A `kid` on these entries is ignored.
 * - `jwt-svid`: the rules of {@link JwtBundle}.
 * - Any JWK with private key material refuses the whole bundle.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { SpiffeBundle } from "@spiffe-ts/sdk";
 * const bundle = SpiffeBundle.parse("example.org", await (await fetch(bundleEndpointUrl)).text());
 * bundle.x509Authorities.length;   // X.509 root CAs
 * bundle.jwtBundle.keys.length;    // JWT-SVID signing keys
 * bundle.refreshHintSeconds;       // e.g. 300, or undefined
 * const same = SpiffeBundle.parse("example.org", bundle.toJson()); // round-trips
 * ```
 */
export class SpiffeBundle {
  /** The trust domain the bundle belongs to. */
  readonly trustDomain: TrustDomain;
  /** The X.509 authorities (an empty bundle when there are none). */
  readonly x509Bundle: X509Bundle;
  /** The JWT authorities (an empty bundle when there are none). */
  readonly jwtBundle: JwtBundle;
  /** `spiffe_sequence`, when the bundle has one. */
  readonly sequenceNumber: number | undefined;
  /** `spiffe_refresh_hint` in seconds, when the bundle has one. */
  readonly refreshHintSeconds: number | undefined;
  /** Every JWK the parser skipped and why, in document order (frozen). */
  readonly ignoredKeys: readonly IgnoredJwk[];

  private constructor(
    td: TrustDomain,
    x509: X509Bundle,
    jwt: JwtBundle,
    sequence: number | undefined,
    refresh: number | undefined,
    ignored: readonly IgnoredJwk[],
  ) {
    this.trustDomain = td;
    this.x509Bundle = x509;
    this.jwtBundle = jwt;
    this.sequenceNumber = sequence;
    this.refreshHintSeconds = refresh;
    this.ignoredKeys = Object.freeze([...ignored]);
  }

  /**
   * Parses a SPIFFE bundle from JSON text, UTF-8 bytes or an object.
   *
   * @throws {BundleError} `ERR_BUNDLE_JSON`, `ERR_BUNDLE_JWKS` (not a JWK Set, or a bad
   *   `spiffe_sequence` / `spiffe_refresh_hint`), `ERR_BUNDLE_JWK`, `ERR_BUNDLE_JWK_PRIVATE`,
   *   `ERR_BUNDLE_CERTIFICATE` (bad `x5c`), `ERR_BUNDLE_DUPLICATE_KID`, `ERR_BUNDLE_TOO_LARGE`.
   * @throws {SpiffeIdError} if the trust domain is invalid.
   */
  static parse(trustDomain: TrustDomain | string, json: string | Uint8Array | object): SpiffeBundle {
    const td = toTrustDomain(trustDomain);
    const where = `SPIFFE bundle of "${td.name}"`;
    return guard(where, () => {
      const { doc, keys } = readJwkSet(json, where);
      const sequence = readNonNegativeInteger(own(doc, "spiffe_sequence"), "spiffe_sequence", where);
      const refresh = readNonNegativeInteger(own(doc, "spiffe_refresh_hint"), "spiffe_refresh_hint", where);
      const ders: Uint8Array[] = [];
      const jwtKeys: CheckedJwtKey[] = [];
      const jwtIgnored: IgnoredJwk[] = [];
      const ignored: IgnoredJwk[] = [];
      keys.forEach((entry, index) => {
        const e = readJwkEntry(entry, index, where);
        const at = `${where}: key ${index}`;
        if (e.use === "x509-svid") {
          const der = readX509Entry(e.jwk, e.kty, at);
          if (typeof der === "string") ignored.push(ignoredJwk(index, e, der));
          else ders.push(der);
        } else if (e.use === "jwt-svid") {
          const checked = checkJwtSvidKey(e.jwk, e.kty, e.kid, at);
          if (typeof checked === "string") {
            const skip = ignoredJwk(index, e, checked);
            ignored.push(skip);
            jwtIgnored.push(skip);
          } else {
            jwtKeys.push(checked);
          }
        } else {
          const reason = e.use === undefined ? `no "use" (it MUST be set)` : `unknown "use" ${show(e.use)}`;
          ignored.push(ignoredJwk(index, e, reason));
        }
      });
      const x509 = X509Bundle.fromCertificates(td, ders);
      const jwt = newJwtBundle(td, jwtKeys, jwtIgnored, where);
      return new SpiffeBundle(td, x509, jwt, sequence, refresh, ignored);
    });
  }

  /**
   * Assembles a SPIFFE bundle from an X.509 bundle and/or a JWT bundle of the same trust
   * domain, plus the optional metadata.
   *
   * @throws {BundleError} `ERR_BUNDLE_TRUST_DOMAIN_MISMATCH` when a part belongs to another
   *   trust domain.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for wrong types or a
   *   negative/non-integer number (`argument` names the part, e.g. `"parts.sequenceNumber"`).
   * @throws {SpiffeIdError} if the trust domain is invalid.
   */
  static fromBundles(trustDomain: TrustDomain | string, parts: SpiffeBundleParts = {}): SpiffeBundle {
    const td = toTrustDomain(trustDomain);
    const where = `SPIFFE bundle of "${td.name}"`;
    if (typeof parts !== "object" || parts === null) throw new InvalidArgumentError("parts", `${where}: parts must be an object, got ${describeType(parts)}`);
    const { x509, jwt, sequenceNumber, refreshHintSeconds } = parts;
    if (x509 !== undefined && !(x509 instanceof X509Bundle)) throw new InvalidArgumentError("parts.x509", `${where}: "x509" must be an X509Bundle, got ${describeType(x509)}`);
    if (jwt !== undefined && !(jwt instanceof JwtBundle)) throw new InvalidArgumentError("parts.jwt", `${where}: "jwt" must be a JwtBundle, got ${describeType(jwt)}`);
    for (const part of [x509, jwt]) {
      if (part && !part.trustDomain.equals(td)) {
        throw new BundleError("ERR_BUNDLE_TRUST_DOMAIN_MISMATCH", `${where}: cannot include a bundle of trust domain "${part.trustDomain.name}"`);
      }
    }
    for (const [name, value] of [["sequenceNumber", sequenceNumber], ["refreshHintSeconds", refreshHintSeconds]] as const) {
      if (value !== undefined && (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)) {
        throw new InvalidArgumentError(`parts.${name}`, `${where}: "${name}" must be a non-negative safe integer, got ${show(value)}`);
      }
    }
    return new SpiffeBundle(
      td,
      x509 ?? X509Bundle.fromCertificates(td, []),
      jwt ?? newJwtBundle(td, [], [], where),
      sequenceNumber,
      refreshHintSeconds,
      [],
    );
  }

  /** The X.509 authorities as DER (copies), in bundle order. */
  get x509Authorities(): Uint8Array[] {
    return this.x509Bundle.authorities;
  }

  /**
   * The bundle as a SPIFFE bundle document: `spiffe_sequence` and `spiffe_refresh_hint` when
   * set, then one `x509-svid` JWK per authority (key members from the certificate, `x5c`
   * with the DER certificate) and one `jwt-svid` JWK per JWT key.
   *
   * @throws {BundleError} `ERR_BUNDLE_CERTIFICATE` if an authority's key type has no JWK form
   *   (only possible for bundles built from certificates with, e.g., DSA keys).
   */
  toJwks(): SpiffeBundleDocument {
    const doc: SpiffeBundleDocument = { keys: [] };
    if (this.sequenceNumber !== undefined) doc.spiffe_sequence = this.sequenceNumber;
    if (this.refreshHintSeconds !== undefined) doc.spiffe_refresh_hint = this.refreshHintSeconds;
    parsedAuthoritiesOf(this.x509Bundle).forEach((info, i) => {
      const key = certificateJwk(info);
      if (typeof key === "string") {
        throw new BundleError("ERR_BUNDLE_CERTIFICATE", `SPIFFE bundle of "${this.trustDomain.name}": authority ${i + 1} cannot be written as a JWK: ${key}`);
      }
      doc.keys.push({ use: "x509-svid", ...key, x5c: [encodeBase64(info.der)] });
    });
    doc.keys.push(...this.jwtBundle.toJwks().keys);
    return doc;
  }

  /** {@link SpiffeBundle.toJwks} as JSON text; `SpiffeBundle.parse` of it gives an equal bundle. */
  toJson(): string {
    return JSON.stringify(this.toJwks());
  }

  /** The X.509 bundle if `trustDomain` is this bundle's, else `undefined` (bundle-source interface). */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    return lookupName(trustDomain) === this.trustDomain.name ? this.x509Bundle : undefined;
  }

  /** The JWT bundle if `trustDomain` is this bundle's, else `undefined` (bundle-source interface). */
  getJwtBundleForTrustDomain(trustDomain: TrustDomain | string): JwtBundle | undefined {
    return lookupName(trustDomain) === this.trustDomain.name ? this.jwtBundle : undefined;
  }

  /** This bundle if `trustDomain` is its trust domain, else `undefined` (bundle-source interface). */
  getForTrustDomain(trustDomain: TrustDomain | string): SpiffeBundle | undefined {
    return lookupName(trustDomain) === this.trustDomain.name ? this : undefined;
  }

  /** True when trust domain, X.509 authorities (in order), JWT keys and both metadata fields are equal. */
  equals(other: SpiffeBundle): boolean {
    return other instanceof SpiffeBundle &&
      this.trustDomain.equals(other.trustDomain) &&
      this.sequenceNumber === other.sequenceNumber &&
      this.refreshHintSeconds === other.refreshHintSeconds &&
      this.x509Bundle.equals(other.x509Bundle) &&
      this.jwtBundle.equals(other.jwtBundle);
  }
}

/** The DER authority of an `x509-svid` JWK, or why the entry is ignored. */
function readX509Entry(jwk: JsonObject, kty: string, at: string): Uint8Array | string {
  if (!X509_KTYS.has(kty)) return kty === "oct" ? `symmetric ("oct") keys cannot be X.509 authorities` : `unknown key type ${show(kty)}`;
  const x5c = own(jwk, "x5c");
  if (x5c === undefined) return `no "x5c" certificate (X509-SVID spec §6.2)`;
  if (!Array.isArray(x5c)) throw new BundleError("ERR_BUNDLE_JWK", `${at}: "x5c" must be an array of base64 certificates, got ${show(x5c)}`);
  if (x5c.length === 0) return `"x5c" is empty (X509-SVID spec §6.2)`;
  const first: unknown = x5c[0];
  const der = typeof first === "string" ? decodeBase64(first) : undefined;
  if (!der) throw new BundleError("ERR_BUNDLE_CERTIFICATE", `${at}: "x5c"[0] must be a standard base64 DER certificate`);
  const info = readCertificate(der);
  if (typeof info === "string") throw new BundleError("ERR_BUNDLE_CERTIFICATE", `${at}: "x5c"[0]: ${info}`);
  const key = certificateJwk(info);
  if (typeof key === "string") throw new BundleError("ERR_BUNDLE_JWK", `${at}: the x5c certificate's key cannot be matched with kty ${show(kty)}: ${key}`);
  if (key.kty !== kty) throw new BundleError("ERR_BUNDLE_JWK", `${at}: "kty" is ${show(kty)} but the x5c certificate has an ${key.kty} key`);
  for (const [name, expected] of Object.entries(key)) {
    if (name === "kty") continue;
    const given = own(jwk, name);
    if (given === undefined) continue;
    const same = name === "crv" ? given === expected : typeof given === "string" && sameUnsigned(given, expected);
    if (!same) {
      throw new BundleError("ERR_BUNDLE_JWK", `${at}: key member "${name}" does not match the x5c certificate's public key (RFC 7517 §4.7)`);
    }
  }
  return der;
}

function sameUnsigned(a: string, b: string): boolean {
  const x = decodeBase64Url(a);
  const y = decodeBase64Url(b);
  if (!x || !y) return false;
  const sx = stripLeadingZeros(x);
  const sy = stripLeadingZeros(y);
  return sx.length === sy.length && sx.every((v, i) => v === sy[i]);
}
