// Test fixture generator: CAs, intermediates and leaf certificates (X.509-SVIDs and
// deliberately broken ones) made with @peculiar/x509 on Web Crypto. Runs on Bun, Node 24
// and Deno. Used by tests and benches only; never imported by src/.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

/** Key algorithms the fixtures can issue (@peculiar/x509 signs with Ed25519 through Web Crypto). */
export type KeyAlg = "P-256" | "P-384" | "P-521" | "RSA-1024" | "RSA-2048" | "Ed25519";

/** A generated key pair plus its PKCS#8 DER encoding. */
export interface TestKey {
  readonly alg: KeyAlg;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** PKCS#8 DER of the private key. */
  readonly pkcs8: Uint8Array<ArrayBuffer>;
  /** PEM "PRIVATE KEY" block of the private key. */
  readonly pkcs8Pem: string;
}

/** An issued certificate with its key. */
export interface TestCert {
  readonly der: Uint8Array<ArrayBuffer>;
  readonly pem: string;
  readonly key: TestKey;
  /** PKCS#8 DER of the certificate's private key. */
  readonly privateKey: Uint8Array<ArrayBuffer>;
  /** PEM "PRIVATE KEY" of the certificate's private key. */
  readonly privateKeyPem: string;
  /** Serial number, lowercase hex as encoded. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A CA (root when it has no parent, else an intermediate). */
export interface TestCa extends TestCert {
  readonly trustDomain: string;
  readonly subject: string;
  readonly parent: TestCa | undefined;
  /** DER chain from this CA up to (and including) its root: [this, parent, ..., root]. */
  readonly chain: readonly Uint8Array<ArrayBuffer>[];
  /** The root of this CA's chain. */
  readonly root: TestCa;
}

/** Key usage flags (RFC 5280 §4.2.1.3) by name. */
export interface KeyUsageFlags {
  digitalSignature?: boolean;
  keyEncipherment?: boolean;
  keyAgreement?: boolean;
  keyCertSign?: boolean;
  cRLSign?: boolean;
}

/** Options shared by CAs and leaves. */
interface CommonOptions {
  keyAlg?: KeyAlg;
  /** Reuse an existing key (e.g. to test key mismatches or re-issuance). */
  key?: TestKey;
  notBefore?: Date;
  notAfter?: Date;
  serialNumber?: string;
  /** Key usage; `null` omits the extension. */
  keyUsage?: KeyUsageFlags | null;
  /** URI SANs (SPIFFE IDs). */
  uriSans?: readonly string[];
  dnsSans?: readonly string[];
  /** Extensions appended as-is. */
  extraExtensions?: readonly x509.Extension[];
  /** OID of an extra critical extension nobody understands. */
  extraCriticalExtension?: string;
  /** Hash of the issuer's signature; defaults to SHA-256 (SHA-384 for P-384, SHA-512 for P-521 issuers; Ed25519 has none). */
  hash?: "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";
}

/** Options of {@link createCa}. */
export interface CaOptions extends CommonOptions {
  trustDomain?: string;
  /** Parent CA: the new CA is an intermediate signed by it. */
  parent?: TestCa;
  /** basicConstraints pathLenConstraint. */
  pathLen?: number;
  /** basicConstraints cA (default true); `null` omits basicConstraints. */
  isCa?: boolean | null;
  /** Subject common name (default: unique per CA). */
  commonName?: string;
  /** Issuer to sign with instead of `parent` (for a CA whose signature does not match its issuer name). */
  signer?: TestCa;
}

/** Options of {@link issueLeaf}. */
export interface LeafOptions extends CommonOptions {
  /** basicConstraints cA (default false); `null` omits basicConstraints. */
  isCa?: boolean | null;
  /** Extended key usages (OIDs); default serverAuth + clientAuth; `null` omits the extension. */
  extKeyUsage?: readonly string[] | null;
  /** Empty subject DN; the SAN extension is then critical (RFC 5280 §4.2.1.6). */
  emptySubject?: boolean;
  /** Mark the SAN extension critical even with a subject. */
  sanCritical?: boolean;
  /** Subject common name (default "leaf"). */
  commonName?: string;
}

export const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
export const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

let counter = 0;

function algParams(alg: KeyAlg): Algorithm | EcKeyGenParams | RsaHashedKeyGenParams {
  if (alg === "Ed25519") return { name: "Ed25519" };
  if (alg === "RSA-1024" || alg === "RSA-2048") {
    return { name: "RSASSA-PKCS1-v1_5", modulusLength: Number(alg.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
  }
  return { name: "ECDSA", namedCurve: alg };
}

const keyCache = new Map<string, Promise<TestKey>>();

/**
 * Generates a key pair. With `cacheAs`, the key is generated once per run and label and then
 * reused (RSA keygen is slow); without it, every call gives a fresh key (so two CAs never
 * share a key by accident: an "unknown" CA must not be able to sign for a trusted one).
 */
export function generateKey(alg: KeyAlg = "P-256", options: { cacheAs?: string } = {}): Promise<TestKey> {
  if (options.cacheAs === undefined) return newKey(alg);
  const id = `${alg}:${options.cacheAs}`;
  let key = keyCache.get(id);
  if (!key) keyCache.set(id, (key = newKey(alg)));
  return key;
}

async function newKey(alg: KeyAlg): Promise<TestKey> {
  const pair = (await crypto.subtle.generateKey(algParams(alg), true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { alg, privateKey: pair.privateKey, publicKey: pair.publicKey, pkcs8, pkcs8Pem: toPem("PRIVATE KEY", pkcs8) };
}

/** PEM-encodes DER (64-column base64). */
export function toPem(label: string, der: Uint8Array): string {
  let bin = "";
  for (const b of der) bin += String.fromCharCode(b);
  const lines = btoa(bin).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function keyUsageBits(flags: KeyUsageFlags): number {
  let bits = 0;
  if (flags.digitalSignature) bits |= x509.KeyUsageFlags.digitalSignature;
  if (flags.keyEncipherment) bits |= x509.KeyUsageFlags.keyEncipherment;
  if (flags.keyAgreement) bits |= x509.KeyUsageFlags.keyAgreement;
  if (flags.keyCertSign) bits |= x509.KeyUsageFlags.keyCertSign;
  if (flags.cRLSign) bits |= x509.KeyUsageFlags.cRLSign;
  return bits;
}

function signingAlgorithm(issuer: TestKey, hash: CommonOptions["hash"]): Algorithm | EcdsaParams {
  if (issuer.alg === "Ed25519") return { name: "Ed25519" };
  const h = hash ?? (issuer.alg === "P-384" ? "SHA-384" : issuer.alg === "P-521" ? "SHA-512" : "SHA-256");
  return issuer.alg === "RSA-2048" ? { name: "RSASSA-PKCS1-v1_5", hash: h } as Algorithm : ({ name: "ECDSA", hash: h } as EcdsaParams);
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, no leading zero byte
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function sanExtension(uris: readonly string[], dns: readonly string[], critical: boolean): x509.Extension | undefined {
  const names = [...uris.map((value) => ({ type: "url" as const, value })), ...dns.map((value) => ({ type: "dns" as const, value }))];
  return names.length ? new x509.SubjectAlternativeNameExtension(names, critical) : undefined;
}

function commonExtensions(o: CommonOptions, sanCritical: boolean): x509.Extension[] {
  const exts: x509.Extension[] = [];
  const san = sanExtension(o.uriSans ?? [], o.dnsSans ?? [], sanCritical);
  if (san) exts.push(san);
  if (o.extraCriticalExtension) exts.push(new x509.Extension(o.extraCriticalExtension, true, new Uint8Array([0x05, 0x00])));
  exts.push(...(o.extraExtensions ?? []));
  return exts;
}

async function sign(
  subject: string,
  key: TestKey,
  issuer: { name: string; key: TestKey } | undefined,
  extensions: x509.Extension[],
  o: CommonOptions,
  defaults: { notBefore: Date; notAfter: Date },
): Promise<x509.X509Certificate> {
  const signer = issuer ?? { name: subject, key };
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(key.publicKey));
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.key.publicKey));
  return x509.X509CertificateGenerator.create({
    serialNumber: o.serialNumber ?? randomSerial(),
    subject,
    issuer: signer.name,
    notBefore: o.notBefore ?? defaults.notBefore,
    notAfter: o.notAfter ?? defaults.notAfter,
    signingAlgorithm: signingAlgorithm(signer.key, o.hash),
    publicKey: key.publicKey,
    signingKey: signer.key.privateKey,
    extensions,
  });
}

function toTestCert(cert: x509.X509Certificate, key: TestKey): TestCert {
  const der = new Uint8Array(cert.rawData);
  return {
    der,
    pem: toPem("CERTIFICATE", der),
    key,
    privateKey: key.pkcs8,
    privateKeyPem: key.pkcs8Pem,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

const HOUR = 3600_000;

function secondsFloor(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** Creates a root CA, or an intermediate CA when `parent` is given. */
export async function createCa(options: CaOptions = {}): Promise<TestCa> {
  const trustDomain = options.trustDomain ?? options.parent?.trustDomain ?? "example.org";
  const key = options.key ?? (await generateKey(options.keyAlg ?? "P-256"));
  const subject = `CN=${options.commonName ?? `${trustDomain} CA ${++counter}`}, O=SPIFFE`;
  const exts: x509.Extension[] = [];
  if (options.isCa !== null) exts.push(new x509.BasicConstraintsExtension(options.isCa ?? true, options.pathLen, true));
  const ku = options.keyUsage === undefined ? { keyCertSign: true, cRLSign: true, digitalSignature: true } : options.keyUsage;
  if (ku) exts.push(new x509.KeyUsagesExtension(keyUsageBits(ku), true));
  exts.push(...commonExtensions({ uriSans: [`spiffe://${trustDomain}`], ...options }, false));
  const now = Date.now();
  const signer = options.signer ?? options.parent;
  const issuer = signer ? { name: signer.subject, key: signer.key } : undefined;
  const cert = await sign(subject, key, issuer, exts, options, { notBefore: secondsFloor(now - 24 * HOUR), notAfter: secondsFloor(now + 240 * HOUR) });
  const base = toTestCert(cert, key);
  const parent = options.parent;
  const ca: TestCa = {
    ...base,
    trustDomain,
    subject,
    parent,
    chain: [base.der, ...(parent?.chain ?? [])],
    get root(): TestCa {
      return parent ? parent.root : ca;
    },
  };
  return ca;
}

/** Issues a leaf certificate (by default a valid X.509-SVID `spiffe://<td>/workload`). */
export async function issueLeaf(ca: TestCa, options: LeafOptions = {}): Promise<TestCert> {
  const key = options.key ?? (await generateKey(options.keyAlg ?? "P-256"));
  const subject = options.emptySubject ? "" : `CN=${options.commonName ?? "leaf"}, O=SPIFFE`;
  const exts: x509.Extension[] = [];
  if (options.isCa !== null) exts.push(new x509.BasicConstraintsExtension(options.isCa ?? false, undefined, true));
  const ku = options.keyUsage === undefined ? { digitalSignature: true, keyEncipherment: true, keyAgreement: true } : options.keyUsage;
  if (ku) exts.push(new x509.KeyUsagesExtension(keyUsageBits(ku), true));
  const eku = options.extKeyUsage === undefined ? [OID_SERVER_AUTH, OID_CLIENT_AUTH] : options.extKeyUsage;
  if (eku) exts.push(new x509.ExtendedKeyUsageExtension([...eku], false));
  const uriSans = options.uriSans ?? [`spiffe://${ca.trustDomain}/workload`];
  exts.push(...commonExtensions({ ...options, uriSans }, options.emptySubject === true || options.sanCritical === true));
  const now = Date.now();
  const cert = await sign(subject, key, { name: ca.subject, key: ca.key }, exts, options, {
    notBefore: secondsFloor(now - HOUR),
    notAfter: secondsFloor(now + 24 * HOUR),
  });
  return toTestCert(cert, key);
}

/** A leaf and its CA chain up to (excluding) the root, leaf first: what a peer sends. */
export function peerChain(leaf: TestCert, ca: TestCa): Uint8Array<ArrayBuffer>[] {
  return [leaf.der, ...ca.chain.slice(0, -1)];
}

/** The DER extension value of NameConstraints permitting only the given URI host names. */
export function uriNameConstraints(permittedHosts: readonly string[], critical = true): x509.Extension {
  const subtrees = permittedHosts.map((h) => derTlv(0x30, derTlv(0x86, new TextEncoder().encode(h))));
  return new x509.Extension("2.5.29.30", critical, derTlv(0x30, derTlv(0xa0, concatBytes(...subtrees))));
}

function derTlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const len = content.length;
  const header = len < 0x80 ? [tag, len] : len < 0x100 ? [tag, 0x81, len] : [tag, 0x82, len >> 8, len & 0xff];
  return concatBytes(new Uint8Array(header), content);
}

/** A copy of `der` with the last signature byte flipped: well-formed, but the signature no longer verifies. */
export function breakSignature(der: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(der);
  out[out.length - 1]! ^= 0x01;
  return out;
}
