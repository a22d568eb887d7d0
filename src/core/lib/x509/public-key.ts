// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) decoding and the SDK's key policy: which keys a
// certificate of an X.509-SVID chain may carry. The policy is applied before any signature
// check, so a hostile key (a huge RSA exponent, a point off its curve) costs no crypto work.
// Not exported from the package.
import { DerError, DerReader, decodeOid, inside } from "../der-reader.ts";

export const OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
export const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
export const OID_ED25519 = "1.3.101.112";
export const OID_ED448 = "1.3.101.113";

/** A named curve the policy accepts, with its Web Crypto name and field size in bytes. */
export interface NamedCurve {
  readonly name: "P-256" | "P-384" | "P-521";
  readonly size: number;
}

export const NAMED_CURVES: Readonly<Record<string, NamedCurve>> = {
  "1.2.840.10045.3.1.7": { name: "P-256", size: 32 },
  "1.3.132.0.34": { name: "P-384", size: 48 },
  "1.3.132.0.35": { name: "P-521", size: 66 },
};

/** A decoded public key; `problem` says why the key policy refuses it (undefined: accepted). */
export type PublicKey =
  | { readonly kind: "rsa"; readonly modulus: Uint8Array; readonly exponent: Uint8Array; readonly bits: number; readonly problem: string | undefined }
  | { readonly kind: "ec"; readonly curve: NamedCurve; readonly x: Uint8Array; readonly y: Uint8Array; readonly problem: string | undefined }
  | { readonly kind: "okp"; readonly crv: "Ed25519" | "Ed448"; readonly x: Uint8Array; readonly problem: string | undefined }
  | { readonly kind: "unsupported"; readonly problem: string };

/**
 * RSA moduli outside this range are refused: smaller ones are breakable; larger ones cost
 * much more to check and Deno 2.9's Web Crypto cannot import them from SPKI at all (so
 * they would verify on two runtimes out of three). SPIRE issues RSA keys of 2048 and 4096 bits.
 */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;
/**
 * RSA public exponents must be odd, from 3 to 65537 (2^16 + 1, what CAs use): the cost of a
 * signature check grows with the exponent's bits (bench/hostile-chain.ts measured 16 checks of
 * RSA-4096 keys with e = 2^31 − 1 at 13.7 ms of CPU on Deno); Go allows up to 2^31 − 1.
 */
const RSA_MAX_EXPONENT = 65537;

/**
 * Decodes a DER SubjectPublicKeyInfo. Structural errors throw `DerError` (the certificate
 * is malformed); a well-formed key that the policy refuses comes back with a `problem`.
 */
export function readPublicKey(spki: Uint8Array<ArrayBuffer>): PublicKey {
  const outer = new DerReader(spki);
  const s = inside(outer.read(0x30));
  outer.end();
  const alg = inside(s.read(0x30));
  const oid = alg.readOid();
  const params = alg.done ? undefined : alg.read();
  alg.end();
  const bits = s.read(0x03).value;
  s.end();
  if (bits[0] !== 0) throw new DerError("the subjectPublicKey BIT STRING has unused bits");
  const key = bits.subarray(1);
  switch (oid) {
    case OID_RSA_ENCRYPTION: {
      // RFC 3279 §2.3.1: the parameters field MUST have ASN.1 type NULL.
      if (!params || params.tag !== 0x05 || params.value.length !== 0) throw new DerError("rsaEncryption parameters must be NULL");
      return readRsaKey(key);
    }
    case OID_EC_PUBLIC_KEY: {
      if (!params) throw new DerError("EC public key without curve parameters");
      if (params.tag !== 0x06) return { kind: "unsupported", problem: "EC public keys must name their curve (explicit curve parameters are refused)" };
      const curveOid = decodeOid(params.value);
      const curve = NAMED_CURVES[curveOid];
      if (!curve) return { kind: "unsupported", problem: `EC curve ${curveOid} is not accepted (P-256, P-384 and P-521 are)` };
      return readEcPoint(key, curve);
    }
    case OID_ED25519:
    case OID_ED448: {
      // RFC 8410 §3: the parameters MUST be absent.
      if (params) throw new DerError(`${oid === OID_ED25519 ? "Ed25519" : "Ed448"} key parameters must be absent`);
      const crv = oid === OID_ED25519 ? "Ed25519" : "Ed448";
      const size = crv === "Ed25519" ? 32 : 57;
      if (key.length !== size) throw new DerError(`${crv} public key must be ${size} bytes`);
      return { kind: "okp", crv, x: key, problem: crv === "Ed448" ? "Ed448 keys are not accepted (Web Crypto cannot verify them on every runtime)" : undefined };
    }
    default:
      return { kind: "unsupported", problem: `public key algorithm ${oid} is not accepted (RSA, EC P-256/P-384/P-521 and Ed25519 are)` };
  }
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1). */
function readRsaKey(der: Uint8Array<ArrayBuffer>): PublicKey {
  const outer = new DerReader(der);
  const seq = inside(outer.read(0x30));
  outer.end();
  const modulus = positiveInteger(seq.read(0x02).value, "RSA modulus");
  const exponent = positiveInteger(seq.read(0x02).value, "RSA public exponent");
  seq.end();
  const bits = bitLength(modulus);
  let problem: string | undefined;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) problem = `RSA key of ${bits} bits is not accepted (${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits are)`;
  else if ((modulus[modulus.length - 1]! & 1) === 0) problem = "RSA modulus is even";
  else {
    const e = exponent.length <= 4 ? exponent.reduce((n, b) => n * 256 + b, 0) : Infinity;
    if (e < 3 || e > RSA_MAX_EXPONENT || e % 2 === 0) problem = `RSA public exponent ${e === Infinity ? `of ${bitLength(exponent)} bits` : e} is not accepted (odd, from 3 to 65537)`;
  }
  return { kind: "rsa", modulus, exponent, bits, problem };
}

/** The magnitude bytes of a DER INTEGER that must be positive and minimal. */
function positiveInteger(value: Uint8Array, what: string): Uint8Array {
  if (value.length === 0) throw new DerError(`${what} is empty`);
  if (value[0]! & 0x80) throw new DerError(`${what} is negative`);
  if (value.length > 1 && value[0] === 0 && !(value[1]! & 0x80)) throw new DerError(`${what} is not minimally encoded`);
  const magnitude = value[0] === 0 ? value.subarray(1) : value;
  if (magnitude.length === 0) throw new DerError(`${what} is zero`);
  return magnitude;
}

function bitLength(magnitude: Uint8Array): number {
  return magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

// Curve constants (FIPS 186-5 / SEC 2): field prime p and coefficient b; a = -3 for all three.
const CURVE_CONSTANTS: Readonly<Record<NamedCurve["name"], { p: bigint; b: bigint }>> = {
  "P-256": {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  "P-384": {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  "P-521": {
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
};

/**
 * An uncompressed point (SEC 1 §2.3.4: 0x04 ‖ X ‖ Y) that must lie on the curve: both
 * coordinates below p and y² = x³ − 3x + b (mod p). Compressed points are refused, as Go does.
 */
function readEcPoint(point: Uint8Array, curve: NamedCurve): PublicKey {
  const ec = (problem: string | undefined): PublicKey => ({ kind: "ec", curve, x: point.subarray(1, 1 + curve.size), y: point.subarray(1 + curve.size), problem });
  if (point[0] !== 0x04 || point.length !== 1 + 2 * curve.size) {
    return { kind: "unsupported", problem: `the ${curve.name} public key is not an uncompressed point of ${1 + 2 * curve.size} bytes` };
  }
  const { p, b } = CURVE_CONSTANTS[curve.name];
  const x = toBigInt(point.subarray(1, 1 + curve.size));
  const y = toBigInt(point.subarray(1 + curve.size));
  if (x >= p || y >= p) return ec(`the ${curve.name} public key has a coordinate outside the field`);
  const rhs = (((((x * x) % p) * x) % p) - 3n * x + b) % p;
  if ((y * y - rhs) % p !== 0n) return ec(`the ${curve.name} public key is not a point on the curve`);
  return ec(undefined);
}

/** Big-endian bytes → bigint, 64 bits at a time (cheaper than going through a hex string). */
function toBigInt(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0n;
  let i = 0;
  for (; i + 8 <= bytes.length; i += 8) n = (n << 64n) | view.getBigUint64(i);
  for (; i < bytes.length; i++) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** A short description of a key for messages and the CLI, e.g. "EC P-256", "RSA 2048". */
export function describePublicKey(key: PublicKey): string {
  switch (key.kind) {
    case "rsa":
      return `RSA ${key.bits}`;
    case "ec":
      return `EC ${key.curve.name}`;
    case "okp":
      return key.crv;
    default:
      return "unsupported";
  }
}

