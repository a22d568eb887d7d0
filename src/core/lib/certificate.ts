// Reads the SPIFFE-relevant parts of an X.509 certificate with pkijs, turning every parse
// failure into a plain message (callers wrap it in their own typed error). Not exported.
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { toHex } from "./bytes.ts";
import { derElementLength } from "./der.ts";

const OID_KEY_USAGE = "2.5.29.15";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const GENERAL_NAME_URI = 6;

/** Extensions whose meaning the SPIFFE verifier (or pkijs path validation) processes. */
export const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_BASIC_CONSTRAINTS,
  "2.5.29.37", // extended key usage
  "2.5.29.30", // name constraints (pkijs)
  "2.5.29.32", // certificate policies (pkijs)
  "2.5.29.36", // policy constraints (pkijs)
  "2.5.29.33", // policy mappings (pkijs)
  "2.5.29.54", // inhibit anyPolicy (pkijs)
  "2.5.29.14", // subject key identifier
  "2.5.29.35", // authority key identifier
]);

export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

/** A parsed certificate: the DER it came from plus the fields SPIFFE rules look at. */
export interface CertificateInfo {
  readonly der: Uint8Array<ArrayBuffer>;
  readonly pkijs: pkijs.Certificate;
  /** Every URI SAN, in order (a valid SVID has exactly one). */
  readonly uriSans: readonly string[];
  /** basicConstraints cA; false when the extension is absent. */
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLenConstraint: number | undefined;
  /** undefined when the key usage extension is absent. */
  readonly keyUsage: KeyUsage | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialNumberHex: string;
  /** OIDs of critical extensions the SDK does not process (RFC 5280 §4.2: must reject). */
  readonly unhandledCriticalExtensions: readonly string[];
}

/**
 * Parses one DER certificate. Returns a message string on failure: not DER, trailing bytes,
 * not a certificate, or an extension the SPIFFE rules need that cannot be decoded.
 */
export function readCertificate(der: Uint8Array<ArrayBuffer>): CertificateInfo | string {
  if (der.length === 0) return "empty certificate";
  if (der[0] !== 0x30 || derElementLength(der, 0) !== der.length) return "not a single DER SEQUENCE";
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(der);
  } catch (err) {
    return `not an X.509 certificate (${err instanceof Error ? err.message : String(err)})`;
  }
  try {
    return describe(der, cert);
  } catch (err) {
    return `certificate fields could not be decoded (${err instanceof Error ? err.message : String(err)})`;
  }
}

function describe(der: Uint8Array<ArrayBuffer>, cert: pkijs.Certificate): CertificateInfo | string {
  const uriSans: string[] = [];
  let isCa = false;
  let pathLenConstraint: number | undefined;
  let keyUsage: KeyUsage | undefined;
  const unhandledCriticalExtensions: string[] = [];
  const seen = new Set<string>();
  for (const ext of cert.extensions ?? []) {
    if (seen.has(ext.extnID)) return `duplicate extension ${ext.extnID}`; // RFC 5280 §4.2
    seen.add(ext.extnID);
    if (ext.critical && !HANDLED_EXTENSIONS.has(ext.extnID)) unhandledCriticalExtensions.push(ext.extnID);
    const parsed: unknown = ext.parsedValue;
    switch (ext.extnID) {
      case OID_SUBJECT_ALT_NAME: {
        if (!(parsed instanceof pkijs.AltName)) return "subjectAltName extension cannot be decoded";
        for (const name of parsed.altNames) {
          if (name.type === GENERAL_NAME_URI) {
            if (typeof name.value !== "string") return "URI SAN cannot be decoded";
            uriSans.push(name.value);
          }
        }
        break;
      }
      case OID_BASIC_CONSTRAINTS: {
        if (!(parsed instanceof pkijs.BasicConstraints)) return "basicConstraints extension cannot be decoded";
        isCa = parsed.cA === true;
        const len: unknown = parsed.pathLenConstraint;
        if (typeof len === "number") pathLenConstraint = len;
        else if (len !== undefined) return "basicConstraints pathLenConstraint is out of range";
        break;
      }
      case OID_KEY_USAGE: {
        if (!(parsed instanceof asn1js.BitString)) return "keyUsage extension cannot be decoded";
        const bits = parsed.valueBlock.valueHexView;
        const first = bits[0] ?? 0;
        keyUsage = {
          digitalSignature: (first & 0x80) !== 0,
          keyCertSign: (first & 0x04) !== 0,
          cRLSign: (first & 0x02) !== 0,
        };
        break;
      }
    }
  }
  const notBefore = cert.notBefore.value;
  const notAfter = cert.notAfter.value;
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) return "notBefore cannot be decoded";
  if (!(notAfter instanceof Date) || Number.isNaN(notAfter.getTime())) return "notAfter cannot be decoded";
  return {
    der,
    pkijs: cert,
    uriSans,
    isCa,
    pathLenConstraint,
    keyUsage,
    notBefore,
    notAfter,
    serialNumberHex: toHex(cert.serialNumber.valueBlock.valueHexView),
    unhandledCriticalExtensions,
  };
}
