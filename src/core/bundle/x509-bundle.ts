import { BundleError } from "../errors/bundle-error.ts";
import { bytesEqual, bytesView, isBytes } from "../lib/bytes.ts";
import type { CertificateInfo } from "../lib/certificate.ts";
import { readCertificateCached } from "../lib/certificate-cache.ts";
import { splitDerSequences } from "../lib/der.ts";
import { decodePem, encodePem, looksLikePem } from "../lib/pem.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import { toTrustDomain } from "./bundle-args.ts";
import { InvalidArgumentError } from "../errors/invalid-argument-error.ts";
import { describeType } from "../lib/describe-type.ts";

/** Inputs above this size are refused before parsing (a real bundle is a few KiB). */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;

const parsedAuthorities = new WeakMap<X509Bundle, readonly CertificateInfo[]>();

/**
 * The X.509 authorities (root CA certificates) of one trust domain: what X.509-SVIDs of
 * that trust domain are verified against. Immutable.
 *
 * A bundle is also an X.509 bundle source for its own trust domain, so it can be passed
 * straight to `verifyX509Svid`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { X509Bundle } from "@spiffe-ts/sdk";
 * const bundle = X509Bundle.parse("example.org", await Deno.readTextFile("bundle.pem"));
 * bundle.authorities.length; // number of root CAs
 * ```
 */
export class X509Bundle {
  /** The trust domain these authorities belong to. */
  readonly trustDomain: TrustDomain;
  readonly #authorities: readonly Uint8Array<ArrayBuffer>[];

  private constructor(trustDomain: TrustDomain, infos: readonly CertificateInfo[]) {
    this.trustDomain = trustDomain;
    this.#authorities = infos.map((i) => i.der);
    parsedAuthorities.set(this, infos);
  }

  /**
   * Parses PEM (one or more `CERTIFICATE` blocks) or concatenated DER certificates, as
   * served by the Workload API and written by `spire-agent api fetch`.
   *
   * @throws {BundleError} `ERR_BUNDLE_EMPTY`, `ERR_BUNDLE_PEM`, `ERR_BUNDLE_DER`,
   *   `ERR_BUNDLE_CERTIFICATE` or `ERR_BUNDLE_TOO_LARGE`.
   * @throws {SpiffeIdError} if the trust domain is invalid.
   */
  static parse(trustDomain: TrustDomain | string, pemOrDer: string | Uint8Array): X509Bundle {
    const td = toTrustDomain(trustDomain);
    return new X509Bundle(td, dedupe(parseCertificates(pemOrDer, td)));
  }

  /**
   * Builds a bundle from individual certificates (DER bytes or PEM strings). An empty list
   * gives a bundle that trusts nothing.
   *
   * @throws {BundleError} if a certificate cannot be parsed.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"certificates"`) when
   *   `certificates` is not an array.
   */
  static fromCertificates(trustDomain: TrustDomain | string, certificates: ReadonlyArray<Uint8Array | string>): X509Bundle {
    const td = toTrustDomain(trustDomain);
    if (!Array.isArray(certificates)) throw new InvalidArgumentError("certificates", `certificates must be an array of DER bytes or PEM strings, got ${describeType(certificates)}`);
    const infos: CertificateInfo[] = [];
    for (const c of certificates) infos.push(...parseCertificates(c, td));
    return new X509Bundle(td, dedupe(infos));
  }

  /** The authorities as DER, in bundle order (copies: mutating them changes nothing). */
  get authorities(): Uint8Array[] {
    return this.#authorities.map((a) => a.slice());
  }

  /** True when the DER certificate is one of the authorities. */
  hasAuthority(der: Uint8Array): boolean {
    return this.#authorities.some((a) => bytesEqual(a, der));
  }

  /** This bundle if `trustDomain` is its trust domain, else `undefined` (bundle-source interface). */
  getX509BundleForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    return this.trustDomain.equals(trustDomain) ? this : undefined;
  }

  /** Same as {@link X509Bundle.getX509BundleForTrustDomain}. */
  getForTrustDomain(trustDomain: TrustDomain | string): X509Bundle | undefined {
    return this.getX509BundleForTrustDomain(trustDomain);
  }

  /** True when both bundles have the same trust domain and the same authorities in the same order. */
  equals(other: X509Bundle): boolean {
    const a = this.#authorities;
    const b = other.#authorities;
    return this.trustDomain.equals(other.trustDomain) && a.length === b.length && a.every((x, i) => bytesEqual(x, b[i]!));
  }

  /** The authorities as concatenated PEM `CERTIFICATE` blocks. */
  toPem(): string {
    return this.#authorities.map((a) => encodePem("CERTIFICATE", a)).join("");
  }
}

/** @internal The parsed authorities (cached once per bundle), for verification. */
export function parsedAuthoritiesOf(bundle: X509Bundle): readonly CertificateInfo[] {
  return parsedAuthorities.get(bundle) ?? [];
}

function dedupe(infos: CertificateInfo[]): CertificateInfo[] {
  return infos.filter((info, i) => infos.findIndex((o) => bytesEqual(o.der, info.der)) === i);
}

function parseCertificates(input: string | Uint8Array, td: TrustDomain): CertificateInfo[] {
  const where = `X.509 bundle of "${td.name}"`;
  let ders: Uint8Array[];
  if (typeof input === "string") {
    if (input.length > MAX_BUNDLE_BYTES) throw new BundleError("ERR_BUNDLE_TOO_LARGE", `${where} exceeds ${MAX_BUNDLE_BYTES} bytes`);
    if (input.trim() === "") throw new BundleError("ERR_BUNDLE_EMPTY", `${where} is empty`);
    if (!looksLikePem(input)) throw new BundleError("ERR_BUNDLE_PEM", `${where}: text input must be PEM ("-----BEGIN CERTIFICATE-----")`);
    const blocks = decodePem(input);
    if (typeof blocks === "string") throw new BundleError("ERR_BUNDLE_PEM", `${where}: ${blocks}`);
    const other = blocks.find((b) => b.label !== "CERTIFICATE");
    if (other) throw new BundleError("ERR_BUNDLE_PEM", `${where}: unexpected PEM block "${other.label}" (only CERTIFICATE allowed)`);
    ders = blocks.map((b) => b.der);
  } else if (isBytes(input)) {
    if (input.byteLength > MAX_BUNDLE_BYTES) throw new BundleError("ERR_BUNDLE_TOO_LARGE", `${where} exceeds ${MAX_BUNDLE_BYTES} bytes`);
    if (input.byteLength === 0) throw new BundleError("ERR_BUNDLE_EMPTY", `${where} is empty`);
    const split = splitDerSequences(bytesView(input));
    if (!split) throw new BundleError("ERR_BUNDLE_DER", `${where}: bytes are not concatenated DER certificates`);
    ders = split;
  } else {
    throw new BundleError("ERR_BUNDLE_CERTIFICATE", `${where}: expected a PEM string or DER bytes, got ${typeof input}`);
  }
  // Through the certificate cache: every Workload API message carries the bundle again, and an
  // unchanged authority then keeps its parse and its imported key (the verifier's per-certificate cache).
  return ders.map((der, i) => {
    const info = readCertificateCached(der);
    if (typeof info === "string") throw new BundleError("ERR_BUNDLE_CERTIFICATE", `${where}: certificate ${i + 1}: ${info}`);
    return info;
  });
}
