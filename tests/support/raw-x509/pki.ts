// Roots, intermediates and leaves from the raw builder with SPIFFE-shaped defaults, where a
// case changes only what it tests: any field, any extension, the signer.
import { type Der } from "./der.ts";
import { authorityKeyIdentifier, basicConstraints, type Extension, extKeyUsage, keyUsage, type KeyUsageName, subjectAltName, subjectKeyIdentifier } from "./extensions.ts";
import { encodeTbs, type SignOptions, signTbs, type TbsFields } from "./certificate.ts";
import { uri } from "./general-name.ts";
import { generateKeyPair, type KeyPair, type KeyType } from "./keys.ts";
import { dn } from "./name.ts";
import { EKU } from "./oids.ts";
import { defaultSigner, type Signer } from "./signers.ts";

/** The verification time of the cases: certificates default to [NOW − 1 day, NOW + 30 days]. */
export const NOW = new Date("2026-03-01T12:00:00Z");
const DAY = 86_400_000;

/** A built certificate with what is needed to issue below it or to re-sign it. */
export interface Built {
  readonly der: Der;
  /** The fields that were signed (change a copy and re-sign with {@link resign}). */
  readonly fields: TbsFields;
  /** Subject name DER. */
  readonly name: Der;
  readonly key: KeyPair;
  /** How this certificate signs what it issues. */
  readonly signer: Signer;
  /** The signer that signed this certificate (its issuer's, or its own for a root). */
  readonly signedBy: Signer;
}

/** Options shared by {@link root}, {@link ca} and {@link leaf}. */
export interface CertOptions {
  /** Subject key: a key pair, or a key type for a fresh key (default P-256). */
  key?: KeyPair | KeyType;
  /** Subject CN (default: a unique label). */
  cn?: string;
  /** Subject name DER (overrides `cn`). */
  subject?: Der;
  /** Issuer name written in the certificate (default: the issuer's subject). */
  issuerName?: Der;
  serial?: bigint | Der;
  notBefore?: Date | Der;
  notAfter?: Date | Der;
  /** Replaces the default extensions entirely. */
  extensions?: readonly (Extension | Der)[];
  /** Added after the (remaining) default extensions. */
  add?: readonly (Extension | Der)[];
  /** OIDs of default extensions to leave out. */
  drop?: readonly string[];
  /** Signs this certificate instead of the issuer's signer (e.g. another algorithm with the same key). */
  signWith?: Signer;
  /** How this certificate will sign its children (default: the usual algorithm of its key). */
  signer?: Signer;
  /** Last changes to the fields before signing. */
  edit?: (fields: TbsFields) => void;
  /** Outer algorithm, bytes inside or after the Certificate. */
  sign?: SignOptions;
}

/** Options of {@link root} and {@link ca}. */
export interface CaOptions extends CertOptions {
  pathLen?: number;
  keyUsage?: readonly KeyUsageName[];
}

/** Options of {@link leaf}. */
export interface LeafOptions extends CertOptions {
  /** SPIFFE ID in the URI SAN (default spiffe://example.org/workload). */
  id?: string;
  /** SAN GeneralNames replacing the single URI (see general-name.ts). */
  sans?: readonly Der[];
  keyUsage?: readonly KeyUsageName[];
}

let serial = 0x1000n;
let label = 0;

async function keyOf(k: KeyPair | KeyType | undefined): Promise<KeyPair> {
  return k === undefined || typeof k === "string" ? generateKeyPair(k ?? "P-256") : k;
}

async function keyId(spki: Der): Promise<Der> {
  return new Uint8Array(await crypto.subtle.digest("SHA-1", spki)).slice(0, 20);
}

function merge(defaults: (Extension | Der)[], o: CertOptions): (Extension | Der)[] {
  if (o.extensions) return [...o.extensions];
  const kept = defaults.filter((e) => e instanceof Uint8Array || !o.drop?.includes(e.oid));
  return [...kept, ...(o.add ?? [])];
}

async function build(issuer: Built | undefined, key: KeyPair, subject: Der, exts: (Extension | Der)[], o: CertOptions): Promise<Built> {
  const signer = o.signer ?? defaultSigner(key);
  const signedBy = o.signWith ?? issuer?.signer ?? signer;
  const fields: TbsFields = {
    version: 2,
    serial: o.serial ?? serial++,
    signature: signedBy.algorithm,
    issuer: o.issuerName ?? issuer?.name ?? subject,
    validity: { notBefore: o.notBefore ?? new Date(NOW.getTime() - DAY), notAfter: o.notAfter ?? new Date(NOW.getTime() + 30 * DAY) },
    subject,
    spki: key.spki,
    extensions: exts,
  };
  o.edit?.(fields);
  const der = await signTbs(encodeTbs(fields), signedBy, o.sign);
  return { der, fields, name: subject, key, signer, signedBy };
}

/** A self-signed root CA (cA, keyCertSign + cRLSign + digitalSignature, SKI). */
export async function root(o: CaOptions = {}): Promise<Built> {
  const key = await keyOf(o.key);
  const subject = o.subject ?? dn({ o: "SPIFFE", cn: o.cn ?? `Root ${++label}` });
  const defaults = [
    basicConstraints({ ca: true, pathLen: o.pathLen }),
    keyUsage(o.keyUsage ?? ["digitalSignature", "keyCertSign", "cRLSign"]),
    subjectKeyIdentifier(await keyId(key.spki)),
  ];
  return build(undefined, key, subject, merge(defaults, o), o);
}

/** An intermediate CA issued by `issuer` (cA, keyCertSign + cRLSign + digitalSignature, SKI, AKI). */
export async function ca(issuer: Built, o: CaOptions = {}): Promise<Built> {
  const key = await keyOf(o.key);
  const subject = o.subject ?? dn({ o: "SPIFFE", cn: o.cn ?? `Intermediate ${++label}` });
  const defaults = [
    basicConstraints({ ca: true, pathLen: o.pathLen }),
    keyUsage(o.keyUsage ?? ["digitalSignature", "keyCertSign", "cRLSign"]),
    subjectKeyIdentifier(await keyId(key.spki)),
    authorityKeyIdentifier(await keyId(issuer.key.spki)),
  ];
  return build(issuer, key, subject, merge(defaults, o), o);
}

/** An X.509-SVID leaf issued by `issuer` (cA false, digitalSignature, server+client auth, one URI SAN). */
export async function leaf(issuer: Built, o: LeafOptions = {}): Promise<Built> {
  const key = await keyOf(o.key);
  const subject = o.subject ?? dn({ o: "SPIFFE", cn: o.cn ?? `Leaf ${++label}` });
  const defaults = [
    basicConstraints({}),
    keyUsage(o.keyUsage ?? ["digitalSignature"]),
    extKeyUsage([EKU.serverAuth, EKU.clientAuth]),
    subjectAltName(o.sans ?? [uri(o.id ?? "spiffe://example.org/workload")]),
    subjectKeyIdentifier(await keyId(key.spki)),
    authorityKeyIdentifier(await keyId(issuer.key.spki)),
  ];
  return build(issuer, key, subject, merge(defaults, o), o);
}

/** `cert`'s fields after `change`, signed again by the same signer (a valid signature over the changed TBS). */
export async function resign(cert: Built, change: (fields: TbsFields) => TbsFields): Promise<Der> {
  return signTbs(encodeTbs(change({ ...cert.fields })), cert.signedBy);
}
