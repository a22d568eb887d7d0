// Turns untrusted chain input (PEM text, concatenated DER, or an array of DER certificates)
// into parsed certificates, leaf first, with size and length caps. Not exported.
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import { bytesView, isBytes } from "../../lib/bytes.ts";
import { describeType } from "../../lib/describe-type.ts";
import type { CertificateInfo } from "../../lib/certificate.ts";
import { readCertificateCached } from "../../lib/certificate-cache.ts";
import { splitDerSequences } from "../../lib/der.ts";
import { decodePem, looksLikePem } from "../../lib/pem.ts";

/**
 * Longest accepted certificate chain (leaf + intermediates); SPIFFE chains have 1–4. With the
 * bundle authority such a path needs 8 signature checks, within the verification budget.
 */
export const MAX_CHAIN_CERTIFICATES = 8;
/**
 * Largest accepted chain input, in bytes (DER) or characters (PEM): real chains are a few KiB;
 * the limit bounds what a peer can make the SDK parse before it is authenticated.
 */
export const MAX_CHAIN_BYTES = 64 * 1024;

/**
 * Chain input accepted by `X509Svid.parse` and `verifyX509Svid`: PEM text, one DER
 * certificate or concatenated DER certificates, or DER certificates one per element; leaf first.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type ChainInput = string | Uint8Array | readonly Uint8Array[];

/**
 * Parses `input` into certificates, leaf first. `what` names the input in messages.
 *
 * @throws {X509SvidError} `ERR_X509_SVID_EMPTY`, `ERR_X509_SVID_TOO_LARGE`,
 *   `ERR_X509_SVID_CHAIN_TOO_LONG`, `ERR_X509_SVID_PEM`, `ERR_X509_SVID_CERTIFICATE`.
 */
export function readChain(input: ChainInput, what: string): CertificateInfo[] {
  const ders = splitInput(input, what);
  if (ders.length === 0) throw new X509SvidError("ERR_X509_SVID_EMPTY", `${what} has no certificate`);
  if (ders.length > MAX_CHAIN_CERTIFICATES) {
    throw new X509SvidError(
      "ERR_X509_SVID_CHAIN_TOO_LONG",
      `${what} has ${ders.length} certificates; at most ${MAX_CHAIN_CERTIFICATES} are accepted`,
    );
  }
  return ders.map((der, i) => {
    const info = readCertificateCached(der);
    if (typeof info === "string") {
      throw new X509SvidError("ERR_X509_SVID_CERTIFICATE", `${what}: certificate ${i + 1} (${i === 0 ? "leaf" : "intermediate"}): ${info}`);
    }
    return info;
  });
}

function tooLarge(what: string): X509SvidError {
  return new X509SvidError("ERR_X509_SVID_TOO_LARGE", `${what} exceeds ${MAX_CHAIN_BYTES} bytes`);
}

/** The certificates' DER, leaf first: views of the caller's bytes where it gave bytes (the certificate cache copies what it parses). */
function splitInput(input: ChainInput, what: string): Uint8Array[] {
  if (typeof input === "string") {
    if (input.length > MAX_CHAIN_BYTES) throw tooLarge(what);
    if (input.trim() === "") throw new X509SvidError("ERR_X509_SVID_EMPTY", `${what} is empty`);
    if (!looksLikePem(input)) {
      throw new X509SvidError("ERR_X509_SVID_PEM", `${what}: text input must be PEM ("-----BEGIN CERTIFICATE-----")`);
    }
    const blocks = decodePem(input);
    if (typeof blocks === "string") throw new X509SvidError("ERR_X509_SVID_PEM", `${what}: ${blocks}`);
    const other = blocks.find((b) => b.label !== "CERTIFICATE");
    if (other) {
      throw new X509SvidError("ERR_X509_SVID_PEM", `${what}: unexpected PEM block "${other.label}" (only CERTIFICATE blocks are allowed)`);
    }
    return blocks.map((b) => b.der);
  }
  if (isBytes(input)) {
    if (input.byteLength > MAX_CHAIN_BYTES) throw tooLarge(what);
    if (input.byteLength === 0) throw new X509SvidError("ERR_X509_SVID_EMPTY", `${what} is empty`);
    const split = splitDerSequences(bytesView(input));
    if (!split) throw new X509SvidError("ERR_X509_SVID_CERTIFICATE", `${what}: bytes are not concatenated DER certificates`);
    return split;
  }
  if (Array.isArray(input)) {
    const list: readonly unknown[] = input;
    if (list.length > MAX_CHAIN_CERTIFICATES) {
      throw new X509SvidError(
        "ERR_X509_SVID_CHAIN_TOO_LONG",
        `${what} has ${list.length} certificates; at most ${MAX_CHAIN_CERTIFICATES} are accepted`,
      );
    }
    let total = 0;
    return list.map((item, i) => {
      if (!isBytes(item)) {
        throw new X509SvidError("ERR_X509_SVID_CERTIFICATE", `${what}: certificate ${i + 1} must be DER bytes (Uint8Array), got ${describeType(item)}`);
      }
      total += item.byteLength;
      if (total > MAX_CHAIN_BYTES) throw tooLarge(what);
      return bytesView(item);
    });
  }
  throw new X509SvidError(
    "ERR_X509_SVID_CERTIFICATE",
    `${what} must be PEM text, DER bytes or an array of DER certificates, got ${describeType(input)}`,
  );
}
