import { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { encodePem } from "../core/lib/pem.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { base64UrlEncode } from "./lib/base64url.ts";
import { type BuiltCertificate, buildCertificate, type Issuer } from "./lib/certificate-builder.ts";
import { signJws, type TestJwk, toTestJwk } from "./lib/jws.ts";
import { certKeyParams, generateKeyPair, jwtKeyParams, TEST_KEY_ALGORITHMS, type TestJwtAlgorithm, type TestKeyAlgorithm } from "./lib/keys.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";

export type { TestJwk, TestJwtAlgorithm, TestKeyAlgorithm };

const CA_TTL_MS = 365 * 24 * 3600 * 1000;
const CA_BACKDATE_MS = 60_000;
const SVID_BACKDATE_MS = 10_000;
const DEFAULT_X509_TTL_MS = 3600_000;
const DEFAULT_JWT_TTL_MS = 300_000;

/**
 * Options of {@link createTestCa}.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface TestCaOptions {
  /** Trust domain of the CA, e.g. `"example.org"`. */
  readonly trustDomain: TrustDomain | string;
  /** Issue leaves from an intermediate CA (served in the SVID chain) instead of the root. Default `false`. */
  readonly intermediate?: boolean;
  /**
   * Key algorithm of the CA certificates (root and intermediate) and of issued X.509-SVIDs:
   * `"P-256"` (ECDSA with SHA-256), `"P-384"` (ECDSA with SHA-384), `"RSA-2048"` (PKCS#1 v1.5
   * with SHA-256) or `"Ed25519"` (RFC 8410; private keys are PKCS#8, accepted by
   * `X509Svid.parse` and by `node:tls` on Node, Bun and Deno, both TLS 1.2 and 1.3). Does not
   * change JWT-SVIDs, which use `jwtAlg`. Default `"P-256"`.
   */
  readonly keyAlg?: TestKeyAlgorithm;
  /** JWS algorithm of the JWT-SVID signing key. Default `"ES256"`. */
  readonly jwtAlg?: TestJwtAlgorithm;
  /** Clock for validity periods and `iat`/`exp` (a fixed date or a function). Default: the system clock. */
  readonly now?: Date | (() => Date);
}

/**
 * Options of {@link TestCa.issueX509Svid}.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface IssueX509SvidOptions {
  /** SPIFFE ID put into the single URI SAN. */
  readonly id: SpiffeId | string;
  /** Lifetime; default 1 hour. `notBefore` is backdated by 10 seconds. */
  readonly ttlMs?: number;
  /** Extra DNS SANs. */
  readonly dnsSans?: readonly string[];
  /** Hint carried along to the Workload API response (not in the certificate). */
  readonly hint?: string;
}

/**
 * An X.509-SVID issued by a {@link TestCa}.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface IssuedX509Svid {
  /** The SPIFFE ID in the leaf's URI SAN. */
  readonly id: SpiffeId;
  /** DER certificates, leaf first, then the intermediate when the CA has one (never the root). */
  readonly certificates: readonly Uint8Array[];
  /** `certificates` as concatenated PEM `CERTIFICATE` blocks. */
  readonly certificatesPem: string;
  /** The leaf's private key, PKCS#8 DER. */
  readonly privateKey: Uint8Array;
  /** The leaf's private key as a PEM `PRIVATE KEY` block. */
  readonly privateKeyPem: string;
  /** Serial number of the leaf, lowercase hex. */
  readonly serialNumber: string;
  /** The leaf's `notAfter`. */
  readonly expiresAt: Date;
  /** The hint given when issuing, if any. */
  readonly hint: string | undefined;
}

/**
 * Options of {@link TestCa.issueJwtSvid}.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface IssueJwtSvidOptions {
  /** SPIFFE ID put into `sub`. */
  readonly id: SpiffeId | string;
  /** Value(s) of `aud` (always encoded as an array). At least one. */
  readonly audience: string | readonly string[];
  /** Lifetime; default 5 minutes. */
  readonly ttlMs?: number;
  /** Extra or overriding claims (for negative tests, e.g. `{ exp: 0 }`). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * A JWT-SVID issued by a {@link TestCa}.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface IssuedJwtSvid {
  /** The compact JWS. */
  readonly token: string;
  /** The `sub` claim. */
  readonly id: SpiffeId;
  /** The `aud` claim. */
  readonly audience: readonly string[];
  /** The `exp` claim. */
  readonly expiresAt: Date;
  /** The `kid` header: the key ID in the CA's JWT bundle. */
  readonly keyId: string;
}

/**
 * A JWT bundle as a JSON Web Key Set (the `keys` of a SPIFFE bundle with `use: "jwt-svid"`).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface TestJwks {
  /** The public keys, one per JWT signing key of the CA. */
  readonly keys: readonly TestJwk[];
}

/**
 * Options of the rotation methods.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface RotateOptions {
  /** Keep the previous authority/key in the bundle (overlap). Default `true`. */
  readonly keepPrevious?: boolean;
}

/**
 * An in-process certificate authority for one trust domain: issues X.509-SVIDs and
 * JWT-SVIDs with Web Crypto and publishes its X.509 and JWT bundles. For development and
 * tests, never production (keys live in memory, nothing is audited).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface TestCa {
  /** The CA's trust domain. */
  readonly trustDomain: TrustDomain;
  /** Key algorithm of X.509 authorities and SVIDs. */
  readonly keyAlgorithm: TestKeyAlgorithm;
  /** Algorithm of JWT-SVID signatures. */
  readonly jwtAlgorithm: TestJwtAlgorithm;
  /** The root certificates (DER) in the bundle: the current one last, retained ones before it. */
  readonly x509Authorities: readonly Uint8Array[];
  /** The X.509 bundle (root certificates) that issued SVIDs verify against. */
  readonly x509Bundle: X509Bundle;
  /** The JWT bundle: public JWT-SVID keys with their `kid`, current one last. */
  readonly jwks: TestJwks;
  /** The JWT bundle (public JWT-SVID keys) that issued JWT-SVIDs validate against. */
  readonly jwtBundle: JwtBundle;
  /** The JWT bundle as JSON text, as served by the Workload API (`JWTBundlesResponse.bundles`). */
  jwksJson(): string;
  /** The CA's clock. */
  now(): Date;
  /**
   * Issues an X.509-SVID following the X509-SVID specification: exactly one URI SAN
   * (critical, the subject is empty), key usage `digitalSignature` (critical), extended key
   * usage serverAuth + clientAuth, `cA` false, random serial, SKI/AKI.
   *
   * @throws {SpiffeIdError} if `id` is not a valid SPIFFE ID.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an invalid ID, TTL or DNS name (`argument` `"options.id"`, `"options.ttlMs"`, `"options.dnsSans"`).
   */
  issueX509Svid(options: IssueX509SvidOptions): Promise<IssuedX509Svid>;
  /**
   * Issues a JWT-SVID (`{ alg, kid, typ: "JWT" }`, claims `sub`, `aud`, `iat`, `exp`)
   * signed with the current JWT key.
   *
   * @throws {SpiffeIdError} if `id` is not a valid SPIFFE ID.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an invalid ID, an empty audience or an invalid TTL (`"options.id"`, `"options.audience"`, `"options.ttlMs"`).
   */
  issueJwtSvid(options: IssueJwtSvidOptions): Promise<IssuedJwtSvid>;
  /** Creates a new root (and intermediate); new SVIDs chain to it. The old root stays in the bundle unless `keepPrevious: false`. */
  rotateX509Authority(options?: RotateOptions): Promise<void>;
  /** Removes every root but the current one from the bundle. */
  dropPreviousX509Authorities(): void;
  /** Creates a new JWT signing key with a new `kid`. The old key stays in the bundle unless `keepPrevious: false`. */
  rotateJwtKey(options?: RotateOptions): Promise<void>;
  /** Removes every JWT key but the current one from the bundle. */
  dropPreviousJwtKeys(): void;
  /** Calls `listener` after every change of the bundles; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

interface Authority {
  readonly root: BuiltCertificate;
  readonly intermediate: BuiltCertificate | undefined;
  readonly issuer: Issuer;
}

interface JwtKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: TestJwk;
}

/**
 * Creates an in-process test CA for one trust domain (EC P-256 and ES256 by default).
 * For federation, create a second CA with another trust domain and pass it as a federated
 * bundle to the Workload API server. Web APIs only: runs anywhere Web Crypto does.
 *
 * Exported from `@spiffe-ts/sdk/testing`. For development and tests, never production.
 *
 * @example
 * ```ts
 * import { verifyX509Svid } from "@spiffe-ts/sdk";
 * import { createTestCa } from "@spiffe-ts/sdk/testing";
 * const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
 * const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
 * const { id } = await verifyX509Svid(svid.certificates, ca.x509Bundle);
 * const jwt = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: "api" });
 * ```
 *
 * @throws {SpiffeIdError} if the trust domain is invalid.
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` for an unknown algorithm (option `"keyAlg"`, `"jwtAlg"`).
 * @throws {TestingError} `ERR_TESTING_CRYPTO` if key generation fails.
 */
export async function createTestCa(options: TestCaOptions): Promise<TestCa> {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `createTestCa needs an options object, got ${describeType(options)}`);
  const trustDomain = options.trustDomain instanceof TrustDomain ? options.trustDomain : TrustDomain.parse(options.trustDomain);
  const keyAlg = options.keyAlg ?? "P-256";
  const jwtAlg = options.jwtAlg ?? "ES256";
  if (!TEST_KEY_ALGORITHMS.includes(keyAlg)) {
    throw new ConfigError("keyAlg", `must be "P-256", "P-384", "RSA-2048" or "Ed25519", got ${JSON.stringify(keyAlg)}`);
  }
  if (!["ES256", "RS256", "PS256"].includes(jwtAlg)) {
    throw new ConfigError("jwtAlg", `must be "ES256", "RS256" or "PS256", got ${JSON.stringify(jwtAlg)}`);
  }
  const fixed = options.now;
  const now = fixed === undefined ? () => new Date() : typeof fixed === "function" ? fixed : () => new Date(fixed.getTime());
  const ca = new TestCaImpl(trustDomain, keyAlg, jwtAlg, options.intermediate === true, now);
  await ca.rotateX509Authority();
  await ca.rotateJwtKey();
  return ca;
}

class TestCaImpl implements TestCa {
  readonly trustDomain: TrustDomain;
  readonly keyAlgorithm: TestKeyAlgorithm;
  readonly jwtAlgorithm: TestJwtAlgorithm;
  readonly #intermediate: boolean;
  readonly #now: () => Date;
  readonly #listeners = new Set<() => void>();
  #authorities: Authority[] = [];
  #bundle: X509Bundle | undefined;
  #jwtKeys: JwtKey[] = [];
  #jwtBundle: JwtBundle | undefined;
  #generation = 0;

  constructor(td: TrustDomain, keyAlg: TestKeyAlgorithm, jwtAlg: TestJwtAlgorithm, intermediate: boolean, now: () => Date) {
    this.trustDomain = td;
    this.keyAlgorithm = keyAlg;
    this.jwtAlgorithm = jwtAlg;
    this.#intermediate = intermediate;
    this.#now = now;
  }

  get x509Authorities(): readonly Uint8Array[] {
    return this.#authorities.map((a) => a.root.der.slice());
  }

  get x509Bundle(): X509Bundle {
    this.#bundle ??= X509Bundle.fromCertificates(this.trustDomain, this.#authorities.map((a) => a.root.der));
    return this.#bundle;
  }

  get jwtBundle(): JwtBundle {
    this.#jwtBundle ??= JwtBundle.parse(this.trustDomain, this.jwksJson());
    return this.#jwtBundle;
  }

  get jwks(): TestJwks {
    return { keys: this.#jwtKeys.map((k) => ({ ...k.jwk })) };
  }

  jwksJson(): string {
    return JSON.stringify(this.jwks);
  }

  now(): Date {
    return this.#now();
  }

  async issueX509Svid(options: IssueX509SvidOptions): Promise<IssuedX509Svid> {
    const id = toSpiffeId(options?.id);
    const ttlMs = checkTtl(options.ttlMs ?? DEFAULT_X509_TTL_MS);
    const dnsSans = options.dnsSans ?? [];
    if (!Array.isArray(dnsSans) || dnsSans.some((d) => typeof d !== "string" || !/^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(d))) {
      throw new InvalidArgumentError("options.dnsSans", "dnsSans must be an array of DNS names");
    }
    const authority = this.#current();
    const key = await generateKeyPair(certKeyParams(this.keyAlgorithm).params, true);
    const notBefore = truncate(this.#now().getTime() - SVID_BACKDATE_MS);
    const notAfter = truncate(this.#now().getTime() + ttlMs);
    const leaf = await buildCertificate({
      subject: undefined,
      issuer: authority.issuer,
      publicKey: key.publicKey,
      notBefore,
      notAfter,
      isCa: false,
      uri: id.toString(),
      dnsSans,
    });
    const certificates = authority.intermediate ? [leaf.der, authority.intermediate.der.slice()] : [leaf.der];
    const privateKey = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.privateKey));
    return {
      id,
      certificates,
      certificatesPem: certificates.map((c) => encodePem("CERTIFICATE", c)).join(""),
      privateKey,
      privateKeyPem: encodePem("PRIVATE KEY", privateKey),
      serialNumber: leaf.serialNumberHex,
      expiresAt: notAfter,
      hint: options.hint,
    };
  }

  async issueJwtSvid(options: IssueJwtSvidOptions): Promise<IssuedJwtSvid> {
    const id = toSpiffeId(options?.id);
    const audience = typeof options.audience === "string" ? [options.audience] : [...(options.audience ?? [])];
    if (audience.length === 0 || audience.some((a) => typeof a !== "string" || a === "")) {
      throw new InvalidArgumentError("options.audience", "audience must be a non-empty string or a non-empty array of non-empty strings");
    }
    const ttlMs = checkTtl(options.ttlMs ?? DEFAULT_JWT_TTL_MS);
    const key = this.#jwtKeys[this.#jwtKeys.length - 1]!;
    const iat = Math.floor(this.#now().getTime() / 1000);
    const exp = Math.floor((this.#now().getTime() + ttlMs) / 1000);
    const payload: Record<string, unknown> = { sub: id.toString(), aud: audience, iat, exp, ...options.claims };
    const token = await signJws(this.jwtAlgorithm, key.kid, key.privateKey, payload);
    const finalExp = typeof payload["exp"] === "number" ? payload["exp"] : exp;
    return { token, id, audience, expiresAt: new Date(finalExp * 1000), keyId: key.kid };
  }

  async rotateX509Authority(options?: RotateOptions): Promise<void> {
    const { params, hash } = certKeyParams(this.keyAlgorithm);
    const n = ++this.#generation;
    const notBefore = truncate(this.#now().getTime() - CA_BACKDATE_MS);
    const notAfter = truncate(this.#now().getTime() + CA_TTL_MS);
    const uri = this.trustDomain.idString();
    const rootKey = await generateKeyPair(params, false);
    const root = await buildCertificate({
      subject: { organization: "SPIFFE test CA", commonName: `${this.trustDomain.name} root ${n}` },
      issuer: undefined,
      selfKey: { privateKey: rootKey.privateKey, hash },
      publicKey: rootKey.publicKey,
      notBefore,
      notAfter,
      isCa: true,
      uri,
    });
    let intermediate: BuiltCertificate | undefined;
    let issuer: Issuer = { nameDer: root.nameDer, keyId: root.keyId, privateKey: rootKey.privateKey, hash };
    if (this.#intermediate) {
      const interKey = await generateKeyPair(params, false);
      intermediate = await buildCertificate({
        subject: { organization: "SPIFFE test CA", commonName: `${this.trustDomain.name} intermediate ${n}` },
        issuer,
        publicKey: interKey.publicKey,
        notBefore,
        notAfter,
        isCa: true,
        uri,
      });
      issuer = { nameDer: intermediate.nameDer, keyId: intermediate.keyId, privateKey: interKey.privateKey, hash };
    }
    const authority: Authority = { root, intermediate, issuer };
    this.#authorities = options?.keepPrevious === false ? [authority] : [...this.#authorities, authority];
    this.#changed(true);
  }

  dropPreviousX509Authorities(): void {
    if (this.#authorities.length <= 1) return;
    this.#authorities = [this.#current()];
    this.#changed(true);
  }

  async rotateJwtKey(options?: RotateOptions): Promise<void> {
    const pair = await generateKeyPair(jwtKeyParams(this.jwtAlgorithm), false);
    const kid = base64UrlEncode(crypto.getRandomValues(new Uint8Array(16)));
    const jwk = toTestJwk(await crypto.subtle.exportKey("jwk", pair.publicKey), kid);
    const key: JwtKey = { kid, privateKey: pair.privateKey, jwk };
    this.#jwtKeys = options?.keepPrevious === false ? [key] : [...this.#jwtKeys, key];
    this.#changed(false);
  }

  dropPreviousJwtKeys(): void {
    if (this.#jwtKeys.length <= 1) return;
    this.#jwtKeys = [this.#jwtKeys[this.#jwtKeys.length - 1]!];
    this.#changed(false);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #current(): Authority {
    return this.#authorities[this.#authorities.length - 1]!;
  }

  #changed(x509: boolean): void {
    if (x509) this.#bundle = undefined;
    else this.#jwtBundle = undefined;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch {
        // a listener's failure must not break the CA
      }
    }
  }
}

/** The workload ID an SVID is issued for: a SPIFFE ID with a path (a trust-domain ID names no workload, and the SDK refuses SVIDs for one). */
function toSpiffeId(id: unknown): SpiffeId {
  if (!(id instanceof SpiffeId) && typeof id !== "string") throw new InvalidArgumentError("options.id", `id must be a SpiffeId or a string, got ${describeType(id)}`);
  const parsed = id instanceof SpiffeId ? id : SpiffeId.parse(id);
  if (parsed.isTrustDomainId) {
    throw new InvalidArgumentError("options.id", `id "${parsed}" has no path: SVIDs name workloads, e.g. "${parsed}/web" (for a negative test, set claims.sub of a JWT-SVID instead)`);
  }
  return parsed;
}

function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidArgumentError("options.ttlMs", `ttlMs must be a positive number of milliseconds, got ${typeof ttlMs === "number" ? ttlMs : describeType(ttlMs)}`);
  }
  return ttlMs;
}

function truncate(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
