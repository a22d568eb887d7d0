// Builds and signs X.509 certificates with pkijs + asn1js + Web Crypto, for the test CA
// (ECDSA, RSA and Ed25519 issuers).
// Not exported from the package; pkijs types never leave this file.
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { toHex } from "../../core/lib/bytes.ts";
import { TestingError } from "../testing-error.ts";

const OID_COMMON_NAME = "2.5.4.3";
const OID_ORGANIZATION = "2.5.4.10";
const OID_SUBJECT_KEY_ID = "2.5.29.14";
const OID_KEY_USAGE = "2.5.29.15";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_AUTHORITY_KEY_ID = "2.5.29.35";
const OID_EXT_KEY_USAGE = "2.5.29.37";
const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const OID_ED25519 = "1.3.101.112";
const GENERAL_NAME_DNS = 2;
const GENERAL_NAME_URI = 6;

/** The issuing side of a certificate: its name (DER of the Name), key identifier and key. */
export interface Issuer {
  readonly nameDer: Uint8Array<ArrayBuffer>;
  readonly keyId: Uint8Array<ArrayBuffer>;
  readonly privateKey: CryptoKey;
  /** Hash of ECDSA and RSA signatures; undefined for Ed25519. */
  readonly hash: string | undefined;
}

export interface CertificateSpec {
  /** Subject as `[O, CN]`; undefined for an empty subject (then the SAN is critical). */
  readonly subject: { readonly organization: string; readonly commonName: string } | undefined;
  /** undefined for a self-signed certificate (signed with `selfKey`). */
  readonly issuer: Issuer | undefined;
  readonly publicKey: CryptoKey;
  /** Private key and hash used when the certificate is self-signed. */
  readonly selfKey?: { readonly privateKey: CryptoKey; readonly hash: string | undefined };
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly uri: string;
  readonly dnsSans?: readonly string[];
}

export interface BuiltCertificate {
  readonly der: Uint8Array<ArrayBuffer>;
  readonly serialNumberHex: string;
  /** This certificate as an issuer (name + key identifier), without its private key. */
  readonly nameDer: Uint8Array<ArrayBuffer>;
  readonly keyId: Uint8Array<ArrayBuffer>;
}

/** Builds and signs one certificate following the X509-SVID profile (leaf or signing certificate). */
export async function buildCertificate(spec: CertificateSpec): Promise<BuiltCertificate> {
  try {
    return await build(spec);
  } catch (err) {
    if (err instanceof TestingError) throw err;
    throw new TestingError("ERR_TESTING_CRYPTO", `could not build a certificate for ${spec.uri}`, { cause: err });
  }
}

async function build(spec: CertificateSpec): Promise<BuiltCertificate> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = randomSerial();
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  // One attribute per RDN (pkijs would put all of them into one multi-valued RDN, and an
  // empty subject must be an empty SEQUENCE, not a SEQUENCE holding an empty SET).
  const rdns = spec.subject
    ? [attribute(OID_ORGANIZATION, spec.subject.organization), attribute(OID_COMMON_NAME, spec.subject.commonName)]
    : [];
  const subject = pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
  cert.subject = subject;
  cert.issuer = spec.issuer ? pkijs.RelativeDistinguishedNames.fromBER(spec.issuer.nameDer) : subject;
  cert.notBefore = toTime(spec.notBefore);
  cert.notAfter = toTime(spec.notAfter);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(await crypto.subtle.exportKey("spki", spec.publicKey));

  const keyId = new Uint8Array(await crypto.subtle.digest("SHA-1", new Uint8Array(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)));
  const authorityKeyId = spec.issuer ? spec.issuer.keyId : keyId;
  const altNames = [new pkijs.GeneralName({ type: GENERAL_NAME_URI, value: spec.uri })];
  for (const dns of spec.dnsSans ?? []) altNames.push(new pkijs.GeneralName({ type: GENERAL_NAME_DNS, value: dns }));

  cert.extensions = [
    extension(OID_BASIC_CONSTRAINTS, true, new pkijs.BasicConstraints({ cA: spec.isCa }).toSchema()),
    // keyUsage: leaf digitalSignature (bit 0); CA keyCertSign (bit 5) + cRLSign (bit 6). DER: no trailing zero bits.
    extension(
      OID_KEY_USAGE,
      true,
      spec.isCa
        ? new asn1js.BitString({ valueHex: new Uint8Array([0x06]), unusedBits: 1 })
        : new asn1js.BitString({ valueHex: new Uint8Array([0x80]), unusedBits: 7 }),
    ),
    extension(OID_SUBJECT_ALT_NAME, spec.subject === undefined, new pkijs.AltName({ altNames }).toSchema()),
    extension(OID_SUBJECT_KEY_ID, false, new asn1js.OctetString({ valueHex: keyId })),
    extension(
      OID_AUTHORITY_KEY_ID,
      false,
      new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: authorityKeyId }) }).toSchema(),
    ),
  ];
  if (!spec.isCa) {
    cert.extensions.push(
      extension(OID_EXT_KEY_USAGE, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID_SERVER_AUTH, OID_CLIENT_AUTH] }).toSchema()),
    );
  }

  const signer = spec.issuer ?? spec.selfKey;
  if (!signer) throw new TestingError("ERR_TESTING_CRYPTO", "a self-signed certificate needs its own private key");
  await sign(cert, signer.privateKey, signer.hash);
  return {
    der: new Uint8Array(cert.toSchema().toBER(false)),
    serialNumberHex: toHex(serial),
    nameDer: new Uint8Array(subject.toSchema().toBER(false)),
    keyId,
  };
}

/**
 * Signs `cert`. pkijs signs ECDSA and RSA but knows no Ed25519: that signature (RFC 8410
 * §6: id-Ed25519 with absent parameters, over the whole TBSCertificate) is made here.
 */
async function sign(cert: pkijs.Certificate, privateKey: CryptoKey, hash: string | undefined): Promise<void> {
  if (privateKey.algorithm.name !== "Ed25519") {
    if (hash === undefined) throw new TestingError("ERR_TESTING_CRYPTO", `a ${privateKey.algorithm.name} signature needs a hash`);
    await cert.sign(privateKey, hash);
    return;
  }
  cert.signature = new pkijs.AlgorithmIdentifier({ algorithmId: OID_ED25519 });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID_ED25519 });
  const tbs = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.tbsView = tbs;
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, privateKey, tbs);
  cert.signatureValue = new asn1js.BitString({ valueHex: signature });
}

function attribute(type: string, value: string): asn1js.Set {
  return new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()] });
}

function extension(extnID: string, critical: boolean, value: { toBER(sizeOnly?: boolean): ArrayBuffer }): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** 16 random bytes as a positive, minimally encoded INTEGER (first byte 0x40..0x7f). */
function randomSerial(): Uint8Array<ArrayBuffer> {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  return serial;
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function toTime(date: Date): pkijs.Time {
  return new pkijs.Time({ type: date.getUTCFullYear() >= 2050 ? 1 : 0, value: date });
}
