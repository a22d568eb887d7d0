import { InvalidArgumentError } from "../../errors/invalid-argument-error.ts";
import type { CertificateInfo } from "../../lib/certificate.ts";
import { encodePem } from "../../lib/pem.ts";
import type { SpiffeId } from "../../spiffeid/spiffe-id.ts";
import { checkIntermediate, checkKeyPolicy, checkLeaf } from "./leaf-rules.ts";
import { checkKeyMatchesLeaf, decodePrivateKey } from "./private-key.ts";
import { type ChainInput, readChain } from "./read-chain.ts";

/** Options of {@link X509Svid.parse}. */
export interface X509SvidParseOptions {
  /** Operator-chosen hint telling SVIDs of one workload apart (Workload API `hint`). Default `""`. */
  hint?: string;
}

/** The JSON form of an {@link X509Svid}: everything but the private key. */
export interface X509SvidJson {
  /** The SPIFFE ID, e.g. `spiffe://example.org/web`. */
  id: string;
  /** The Workload API's hint for this SVID (`""` when none). */
  hint: string;
  /** When the leaf certificate expires (`notAfter`), ISO 8601. */
  expiresAt: string;
  /** The leaf certificate's serial number, hexadecimal. */
  serialNumber: string;
  /** The chain as concatenated PEM, leaf first. */
  certificates: string;
}

const NODE_INSPECT = Symbol.for("nodejs.util.inspect.custom");
const DENO_INSPECT = Symbol.for("Deno.customInspect");

/**
 * An X.509-SVID: a workload's certificate chain (leaf first) and the private key of the leaf.
 * Immutable; getters return copies.
 *
 * The private key never appears in `toString()`, `toJSON()` or console output; read it
 * explicitly with `privateKey` or `toPem()`.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example Loading an SVID written by `spire-agent api fetch x509`
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import { X509Svid } from "@spiffe-ts/sdk";
 * const svid = await X509Svid.parse(await readFile("svid.0.pem", "utf8"), await readFile("svid.0.key", "utf8"));
 * svid.id.toString(); // "spiffe://example.org/web"
 * svid.expiresAt;     // leaf notAfter
 * ```
 */
export class X509Svid {
  /** The SPIFFE ID of the leaf's URI SAN. */
  readonly id: SpiffeId;
  /** Operator-chosen hint from the Workload API (`""` when none). */
  readonly hint: string;
  /** The leaf certificate's serial number, lowercase hex as encoded. */
  readonly serialNumber: string;
  readonly #certificates: readonly Uint8Array<ArrayBuffer>[];
  readonly #privateKey: Uint8Array<ArrayBuffer>;
  readonly #expiresAt: number;

  private constructor(id: SpiffeId, chain: readonly CertificateInfo[], privateKey: Uint8Array<ArrayBuffer>, hint: string) {
    const leaf = chain[0]!;
    this.id = id;
    this.hint = hint;
    this.serialNumber = leaf.serialNumberHex;
    this.#certificates = chain.map((c) => c.der);
    this.#privateKey = privateKey;
    this.#expiresAt = leaf.notAfter.getTime();
  }

  /**
   * Parses an X.509-SVID: the certificate chain (PEM `CERTIFICATE` blocks, concatenated DER,
   * or an array of DER certificates; leaf first) and the leaf's PKCS#8 private key (PEM
   * `PRIVATE KEY` or DER; EC P-256, P-384 or P-521, RSA, or Ed25519).
   *
   * The leaf must follow the X.509-SVID rules (exactly one URI SAN holding a SPIFFE ID with
   * a path, not a CA, no `keyCertSign`/`cRLSign`); the other certificates must be CAs with
   * `keyCertSign`; the key must belong to the leaf. Validity dates and trust are not checked
   * here (use `verifyX509Svid` for a peer's chain). Async because the key check uses Web Crypto.
   *
   * @example
   * ```ts
   * import { X509Svid } from "@spiffe-ts/sdk";
   * const svid = await X509Svid.parse(certsPem, keyPem, { hint: "internal" });
   * ```
   * @throws {X509SvidError} `ERR_X509_SVID_EMPTY`, `ERR_X509_SVID_PEM`,
   *   `ERR_X509_SVID_CERTIFICATE`, `ERR_X509_SVID_TOO_LARGE`, `ERR_X509_SVID_CHAIN_TOO_LONG`,
   *   a leaf rule code (`ERR_X509_SVID_NO_URI_SAN`, `ERR_X509_SVID_MULTIPLE_URI_SANS`,
   *   `ERR_X509_SVID_INVALID_SPIFFE_ID`, `ERR_X509_SVID_NO_PATH`, `ERR_X509_SVID_LEAF_IS_CA`,
   *   `ERR_X509_SVID_LEAF_KEY_CERT_SIGN`, `ERR_X509_SVID_LEAF_CRL_SIGN`,
   *   `ERR_X509_SVID_UNHANDLED_CRITICAL_EXTENSION`), `ERR_X509_SVID_INTERMEDIATE_NOT_CA`,
   *   `ERR_X509_SVID_PUBLIC_KEY` (a certificate key peers refuse: see docs/security.md),
   *   `ERR_X509_SVID_PRIVATE_KEY`, `ERR_X509_SVID_UNSUPPORTED_KEY` or `ERR_X509_SVID_KEY_MISMATCH`.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"options.hint"`) when the
   *   hint is not a string.
   */
  static async parse(certificates: ChainInput, privateKey: string | Uint8Array, options: X509SvidParseOptions = {}): Promise<X509Svid> {
    const hint = options?.hint ?? "";
    if (typeof hint !== "string") throw new InvalidArgumentError("options.hint", `options.hint must be a string, got ${typeof hint}`);
    const chain = readChain(certificates, "the X.509-SVID certificate chain");
    const id = checkLeaf(chain[0]!);
    chain.slice(1).forEach((c, i) => checkIntermediate(c, i + 1));
    chain.forEach((c, i) => checkKeyPolicy(c, i));
    const key = decodePrivateKey(privateKey);
    await checkKeyMatchesLeaf(key, chain[0]!);
    return new X509Svid(id, chain, key, hint);
  }

  /** The chain as DER, leaf first (copies). */
  get certificates(): Uint8Array[] {
    return this.#certificates.map((c) => c.slice());
  }

  /** The leaf's private key as PKCS#8 DER (a copy). Handle with care: never log it. */
  get privateKey(): Uint8Array {
    return this.#privateKey.slice();
  }

  /** When the leaf certificate expires (its notAfter). */
  get expiresAt(): Date {
    return new Date(this.#expiresAt);
  }

  /** The chain (concatenated `CERTIFICATE` blocks, leaf first) and the key (`PRIVATE KEY`) as PEM. */
  toPem(): { certificates: string; privateKey: string } {
    return {
      certificates: this.#certificates.map((c) => encodePem("CERTIFICATE", c)).join(""),
      privateKey: encodePem("PRIVATE KEY", this.#privateKey),
    };
  }

  /** A JSON-safe description without the private key. */
  toJSON(): X509SvidJson {
    return {
      id: this.id.toString(),
      hint: this.hint,
      expiresAt: this.expiresAt.toISOString(),
      serialNumber: this.serialNumber,
      certificates: this.#certificates.map((c) => encodePem("CERTIFICATE", c)).join(""),
    };
  }

  /** `X509Svid(spiffe://…, serial …, expires …)`, without the private key. */
  toString(): string {
    return `X509Svid(${this.id}, serial ${this.serialNumber}, expires ${this.expiresAt.toISOString()}${this.hint ? `, hint ${JSON.stringify(this.hint)}` : ""})`;
  }

  /** Console output on Node and Bun: no private key. */
  [NODE_INSPECT](): string {
    return this.toString();
  }

  /** Console output on Deno: no private key. */
  [DENO_INSPECT](): string {
    return this.toString();
  }
}
