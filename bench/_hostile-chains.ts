// Generators of hostile X.509-SVID chains for bench/hostile-chain.ts: for each kind of work a
// peer can make verifyX509Svid do before it is authenticated, the most expensive chain we
// could build INSIDE the verifier's limits (src/core/svid/x509/read-chain.ts,
// verification-budget.ts, src/core/lib/x509/limits.ts, public-key.ts): a chain refused by a
// size check measures nothing, so only one such "oversized" chain is kept, as a sanity row.
// Every certificate is DER built here, byte for byte (names, keys, extensions, signatures),
// so no library normalizes the hostile parts away. Signatures the verifier must check and
// find valid are real; signatures it must check and find invalid are well-formed random
// values of the right size (so every check does the whole computation). Each family builds
// fresh variants on demand (new serial numbers, so new DER): a hostile peer never replays
// a chain, and the verifier's parsed-certificate cache must not help it.
// Bench only (bench/run.mjs skips files starting with "_"); never imported by src/.
import { concatBytes } from "../src/testing/lib/concat-bytes.ts";

/** The trust domain of every chain: its bundle holds {@link BenchRoot}. */
export const TRUST_DOMAIN = "example.org";
/** The verifier's limits the chains are built against (see the files above). */
export const LIMITS = {
  chainCertificates: 8,
  chainBytes: 64 * 1024,
  extensions: 32,
  generalNames: 128,
  nameAttributes: 32,
  certificateNameAttributes: 256,
  signatureChecks: 9,
  signatureCost: 9,
  nameConstraintChecks: 1024,
} as const;
/** Certificates up to this size are kept by the verifier's parsed-certificate cache. */
export const CACHED_CERTIFICATE_BYTES = 16 * 1024;

type Bytes = Uint8Array<ArrayBuffer>;

// ---------------------------------------------------------------------------------------
// DER

const concat = concatBytes;

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  return [0x80 | octets.length, ...octets];
}

function tlv(tag: number, ...content: readonly Uint8Array[]): Bytes {
  return tlvOf(tag, content);
}

/** `tlv` for long lists (spreading thousands of arguments can overflow the stack). */
function tlvOf(tag: number, content: readonly Uint8Array[]): Bytes {
  const body = concat(content);
  return concat([new Uint8Array([tag, ...lengthOctets(body.length)]), body]);
}

const seq = (...content: readonly Uint8Array[]): Bytes => tlvOf(0x30, content);
const ascii = (text: string): Bytes => new TextEncoder().encode(text);
const NULL: Bytes = new Uint8Array([0x05, 0x00]);
const TRUE: Bytes = new Uint8Array([0x01, 0x01, 0xff]);

function oid(dotted: string): Bytes {
  const arcs = dotted.split(".").map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    out.push(...groups);
  }
  return tlv(0x06, new Uint8Array(out));
}

/** A non-negative INTEGER from unsigned big-endian bytes. */
function integer(unsigned: Uint8Array): Bytes {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const v = unsigned.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? concat([new Uint8Array([0]), v]) : v);
}

function bigToBytes(n: bigint, size?: number): Bytes {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = new Uint8Array(Math.max(size ?? 0, hex.length / 2));
  const offset = bytes.length - hex.length / 2;
  for (let i = 0; i < hex.length / 2; i++) bytes[offset + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function bytesToBig(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function time(d: Date): Bytes {
  const digits = d.toISOString().slice(0, 19).replace(/[-T:]/g, "");
  return d.getUTCFullYear() < 2050 ? tlv(0x17, ascii(`${digits.slice(2)}Z`)) : tlv(0x18, ascii(`${digits}Z`));
}

function randomBytes(n: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(n));
}

function serialNumber(): Bytes {
  const s = randomBytes(16);
  s[0] = (s[0]! & 0x7f) | 0x10;
  return s;
}

// ---------------------------------------------------------------------------------------
// Names, general names, extensions

const OID_CN = "2.5.4.3";
const OID_O = "2.5.4.10";
/** DirectoryString tags: UTF8String and PrintableString. */
export type StringTag = 0x0c | 0x13;

/** A Name of one attribute per RDN, each `CN=<value>` of string type `tag`. */
function nameOf(values: readonly string[], tag: StringTag = 0x0c): Bytes {
  return tlvOf(0x30, values.map((v) => tlv(0x31, seq(oid(OID_CN), tlv(tag, new TextEncoder().encode(v))))));
}

/** Name `O=SPIFFE, CN=<cn>`. */
function name(cn: string): Bytes {
  return seq(tlv(0x31, seq(oid(OID_O), tlv(0x0c, ascii("SPIFFE")))), tlv(0x31, seq(oid(OID_CN), tlv(0x0c, ascii(cn)))));
}

const gn = {
  email: (mailbox: string): Bytes => tlv(0x81, ascii(mailbox)),
  dns: (host: string): Bytes => tlv(0x82, ascii(host)),
  dir: (nameDer: Bytes): Bytes => tlv(0xa4, nameDer),
  uri: (uri: string): Bytes => tlv(0x86, ascii(uri)),
};

function extension(id: string, critical: boolean, value: Uint8Array): Bytes {
  return critical ? seq(oid(id), TRUE, tlv(0x04, value)) : seq(oid(id), tlv(0x04, value));
}

const basicConstraints = (ca: boolean): Bytes => extension("2.5.29.19", true, ca ? seq(TRUE) : seq());
// keyCertSign + cRLSign (bits 5, 6) for CAs; digitalSignature (bit 0) for leaves.
const keyUsage = (ca: boolean): Bytes => extension("2.5.29.15", true, ca ? new Uint8Array([0x03, 0x02, 0x01, 0x06]) : new Uint8Array([0x03, 0x02, 0x07, 0x80]));
const subjectKeyId = (id: Uint8Array): Bytes => extension("2.5.29.14", false, tlv(0x04, id));
const authorityKeyId = (id: Uint8Array): Bytes => extension("2.5.29.35", false, seq(tlv(0x80, id)));
/** authorityKeyIdentifier with authorityCertIssuer (GeneralNames) and authorityCertSerialNumber only. */
const authorityCertIssuer = (names: readonly Bytes[]): Bytes => extension("2.5.29.35", false, seq(tlvOf(0xa1, names), tlv(0x82, new Uint8Array([0x01]))));
const subjectAltName = (names: readonly Bytes[]): Bytes => extension("2.5.29.17", false, tlvOf(0x30, names));
/** nameConstraints (critical) from encoded GeneralNames. */
function nameConstraints(o: { permitted?: readonly Bytes[]; excluded?: readonly Bytes[] }): Bytes {
  const subtrees = (tag: number, list: readonly Bytes[] | undefined): Bytes[] => (list?.length ? [tlvOf(tag, list.map((n) => seq(n)))] : []);
  return extension("2.5.29.30", true, seq(...subtrees(0xa0, o.permitted), ...subtrees(0xa1, o.excluded)));
}
/** A small, distinct, non-critical extension of an unknown OID (ignored by the verifier). */
const filler = (i: number): Bytes => extension(`1.3.6.1.4.1.99999.${i}`, false, NULL);

// ---------------------------------------------------------------------------------------
// Keys and signers

/** What signs certificates: the signatureAlgorithm it writes, and sign(tbs). */
export interface Signer {
  readonly algorithm: Bytes;
  sign(tbs: Bytes): Promise<Bytes>;
}

/** A public key, and a signer when we hold its private key. */
export interface Key {
  readonly spki: Bytes;
  readonly signer?: Signer;
}

type Curve = "P-256" | "P-384" | "P-521";
const ECDSA_OID = { "SHA-256": "1.2.840.10045.4.3.2", "SHA-384": "1.2.840.10045.4.3.3", "SHA-512": "1.2.840.10045.4.3.4" } as const;
const HASH_OF: Record<Curve, keyof typeof ECDSA_OID> = { "P-256": "SHA-256", "P-384": "SHA-384", "P-521": "SHA-512" };
const SIZE_OF: Record<Curve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** A fresh ECDSA key (each curve with its usual hash). */
export async function ecdsaKey(curve: Curve): Promise<Key> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
  const hash = HASH_OF[curve];
  const size = SIZE_OF[curve];
  return {
    spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)),
    signer: {
      algorithm: seq(oid(ECDSA_OID[hash])),
      async sign(tbs) {
        const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash }, pair.privateKey, tbs));
        return seq(integer(raw.subarray(0, size)), integer(raw.subarray(size)));
      },
    },
  };
}

/**
 * Declares ECDSA with `hash` and "signs" with random r and s of 32 bytes below 2^255: a
 * well-formed signature that every curve's verifier checks in full, and that never verifies.
 */
function forgedEcdsa(hash: keyof typeof ECDSA_OID): Signer {
  const half = (): Bytes => {
    const b = randomBytes(32);
    b[0] = (b[0]! & 0x7f) | 0x01;
    return b;
  };
  return { algorithm: seq(oid(ECDSA_OID[hash])), sign: async () => seq(integer(half()), integer(half())) };
}

const SHA256_WITH_RSA: Bytes = seq(oid("1.2.840.113549.1.1.11"), NULL);
/** The largest odd RSA public exponent the key policy accepts (the costliest public operation). */
export const RSA_EXPONENT = 65535n; // 16 one-bits: the costliest exponent the key policy accepts (odd, 3 to 65537)

/** Declares sha256WithRSAEncryption and "signs" with 512 random bytes below every 4096-bit modulus (it never verifies). */
function forgedRsa4096(): Signer {
  return {
    algorithm: SHA256_WITH_RSA,
    sign: async () => {
      const s = randomBytes(512);
      s[0] = 0x01;
      return s;
    },
  };
}

function rsaSpki(n: bigint, e: bigint): Bytes {
  return seq(seq(oid("1.2.840.113549.1.1.1"), NULL), tlv(0x03, new Uint8Array([0]), seq(integer(bigToBytes(n)), integer(bigToBytes(e)))));
}

/**
 * An RSA-4096 public key with exponent 65535 whose private key nobody has: a random odd
 * modulus starting 0xffff (so every 4096-bit signature value is below it and each check does
 * the whole modular exponentiation). The key policy and every runtime's importKey accept it.
 */
export function rsa4096DecoyKey(): Key {
  const m = randomBytes(512);
  m[0] = 0xff;
  m[1] = 0xff;
  m[511]! |= 1;
  return { spki: rsaSpki(bytesToBig(m), RSA_EXPONENT) };
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("not invertible");
  return ((s0 % m) + m) % m;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

const SMALL_PRIMES: readonly number[] = (() => {
  const limit = 1 << 14;
  const composite = new Uint8Array(limit);
  const primes: number[] = [];
  for (let i = 3; i < limit; i += 2) {
    if (composite[i]) continue;
    primes.push(i);
    for (let j = i * i; j < limit; j += 2 * i) composite[j] = 1;
  }
  return primes;
})();

function millerRabin(n: bigint, rounds: number): boolean {
  let d = n - 1n;
  let s = 0;
  while (!(d & 1n)) {
    d >>= 1n;
    s++;
  }
  outer: for (let i = 0; i < rounds; i++) {
    const a = 2n + (bytesToBig(randomBytes(16)) % (n - 4n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

/** A random probable prime in [low, 2^bits), found with a small-prime sieve and Miller-Rabin. */
function randomPrime(bits: number, low: bigint): bigint {
  const top = 1n << BigInt(bits);
  const WINDOW = 8192;
  for (;;) {
    const start = (low + (bytesToBig(randomBytes(bits / 8 + 8)) % (top - low))) | 1n;
    const sieve = new Uint8Array(WINDOW);
    for (const p of SMALL_PRIMES) {
      const r = Number(start % BigInt(p));
      let j = r === 0 ? 0 : p - r;
      if (j % 2) j += p; // stay on odd candidates (start is odd, so even offsets)
      for (; j < WINDOW; j += 2 * p) sieve[j] = 1;
    }
    for (let j = 0; j < WINDOW; j += 2) {
      if (sieve[j]) continue;
      const c = start + BigInt(j);
      if (c >= top) break;
      if (modPow(2n, c - 1n, c) === 1n && millerRabin(c, 6)) return c;
    }
  }
}

const SHA256_DIGEST_INFO = new Uint8Array([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]);

/**
 * An RSA-4096 key with public exponent 65535 that signs (RSASSA-PKCS1-v1_5, SHA-256): a
 * multi-prime key (RFC 8017 §3) of eight 512-bit primes made with BigInt, because Web Crypto
 * only generates exponents 3 and 65537 on some runtimes. To a verifier it is any RSA-4096 key.
 */
export function rsa4096Key(): Key {
  const bits = 4096;
  const count = bits / 512;
  // Every prime ≥ 2^(512 − 1/count) makes the product ≥ 2^(bits − 1): exactly `bits` bits.
  const low = ((1n << 512n) * BigInt(Math.ceil(2 ** (-1 / count) * 1e9) + 1)) / 1_000_000_000n;
  for (;;) {
    const primes: bigint[] = [];
    while (primes.length < count) {
      const p = randomPrime(512, low);
      if (!primes.includes(p) && gcd(RSA_EXPONENT, p - 1n) === 1n) primes.push(p);
    }
    const n = primes.reduce((a, p) => a * p, 1n);
    if (n.toString(2).length !== bits) continue;
    const exponents = primes.map((p) => modInverse(RSA_EXPONENT % (p - 1n), p - 1n));
    const coefficients = primes.map((p) => {
      const m = n / p;
      return (m * modInverse(m % p, p)) % n;
    });
    let checked = false;
    const signer: Signer = {
      algorithm: SHA256_WITH_RSA,
      async sign(tbs) {
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", tbs));
        const t = concat([SHA256_DIGEST_INFO, hash]);
        const em = new Uint8Array(512).fill(0xff);
        em[0] = 0x00;
        em[1] = 0x01;
        em[512 - t.length - 1] = 0x00;
        em.set(t, 512 - t.length);
        const m = bytesToBig(em);
        let s = 0n;
        primes.forEach((p, i) => {
          s += modPow(m % p, exponents[i]!, p) * coefficients[i]!;
        });
        s %= n;
        if (!checked) {
          if (modPow(s, RSA_EXPONENT, n) !== m) throw new Error("RSA-4096 signing self-check failed");
          checked = true;
        }
        return bigToBytes(s, 512);
      },
    };
    return { spki: rsaSpki(n, RSA_EXPONENT), signer };
  }
}

// ---------------------------------------------------------------------------------------
// Certificates

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Whole seconds (certificate times have no fractions). */
const at = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

interface CertificateSpec {
  readonly issuer: Bytes;
  readonly subject: Bytes;
  readonly spki: Bytes;
  readonly extensions: readonly Bytes[];
  /** Default: valid from a day ago for 30 days. */
  readonly notAfter?: Date;
}

async function certificate(spec: CertificateSpec, signer: Signer): Promise<Bytes> {
  const now = Date.now();
  const tbs = seq(
    tlv(0xa0, new Uint8Array([0x02, 0x01, 0x02])), // v3
    integer(serialNumber()),
    signer.algorithm,
    spec.issuer,
    seq(time(at(now - DAY)), time(spec.notAfter ?? at(now + 30 * DAY))),
    spec.subject,
    spec.spki,
    tlv(0xa3, tlvOf(0x30, spec.extensions)),
  );
  return seq(tbs, signer.algorithm, tlv(0x03, new Uint8Array([0]), await signer.sign(tbs)));
}

/** A CA certificate: cA, keyCertSign + cRLSign, the given key identifiers and extra extensions. */
function caCertificate(o: { subject: Bytes; issuer: Bytes; key: Key; ski?: Bytes; aki?: Bytes; extra?: readonly Bytes[] }, signer: Signer): Promise<Bytes> {
  const ids = [...(o.ski ? [subjectKeyId(o.ski)] : []), ...(o.aki ? [authorityKeyId(o.aki)] : [])];
  return certificate({ issuer: o.issuer, subject: o.subject, spki: o.key.spki, extensions: [basicConstraints(true), keyUsage(true), ...ids, ...(o.extra ?? [])] }, signer);
}

/** Leaf keys are never used to sign: one per run. */
let leafKey: Promise<Key> | undefined;

/** A leaf X.509-SVID: cA false, digitalSignature, SAN = its SPIFFE ID and `sans`, then `extra` extensions. */
async function leafCertificate(
  o: { issuer: Bytes; path: string; aki?: Bytes; subject?: Bytes; sans?: readonly Bytes[]; extra?: readonly Bytes[]; replaceAki?: Bytes },
  signer: Signer,
): Promise<Bytes> {
  const key = await (leafKey ??= ecdsaKey("P-256"));
  const aki = o.replaceAki ?? (o.aki ? authorityKeyId(o.aki) : undefined);
  return certificate(
    {
      issuer: o.issuer,
      subject: o.subject ?? name(`leaf ${o.path}`),
      spki: key.spki,
      extensions: [basicConstraints(false), keyUsage(false), ...(aki ? [aki] : []), subjectAltName([gn.uri(`spiffe://${TRUST_DOMAIN}/${o.path}`), ...(o.sans ?? [])]), ...(o.extra ?? [])],
      notAfter: at(Date.now() + DAY),
    },
    signer,
  );
}

/** The trust anchor all chains are verified against (the bundle of {@link TRUST_DOMAIN}). */
export interface BenchRoot {
  readonly der: Bytes;
  readonly name: Bytes;
  readonly keyId: Bytes;
  readonly key: Key;
}

/** A P-256 root CA: `CN=hostile-bench root`, SPIFFE ID `spiffe://example.org`. */
export async function createRoot(): Promise<BenchRoot> {
  const key = await ecdsaKey("P-256");
  const rootName = name("hostile-bench root");
  const keyId = randomBytes(20);
  const der = await certificate(
    {
      issuer: rootName,
      subject: rootName,
      spki: key.spki,
      extensions: [basicConstraints(true), keyUsage(true), subjectKeyId(keyId), subjectAltName([gn.uri(`spiffe://${TRUST_DOMAIN}`)])],
      notAfter: at(Date.now() + 365 * DAY),
    },
    key.signer!,
  );
  return { der, name: rootName, keyId, key };
}

// ---------------------------------------------------------------------------------------
// Families

/** One kind of hostile (or valid) chain: `build()` makes a fresh variant each call. */
export interface ChainFamily {
  /** Short label for the bench tables. */
  readonly label: string;
  /** What it makes the verifier do, with its sizes. */
  readonly description: string;
  /** What verifyX509Svid must answer: "accepted" or an error code (the bench fails otherwise). */
  readonly expect: string;
  /** Signature checks it must cause, when known (the bench counts them once). */
  readonly checks?: number;
  /** A fresh variant: DER certificates, leaf first, none of them byte-equal to another variant's. */
  build(): Promise<Bytes[]>;
}

/** Keys shared by the variants of a family (a key's import is per parsed certificate, so reuse does not help the verifier). */
async function keys(count: number, make: () => Promise<Key> | Key): Promise<Key[]> {
  const out: Key[] = [];
  for (let i = 0; i < count; i++) out.push(await make());
  return out;
}

/** The baseline: a valid P-256 leaf → intermediate → root chain (2 P-256 checks). */
export async function validChain(root: BenchRoot): Promise<ChainFamily> {
  const key = await ecdsaKey("P-256");
  const keyId = randomBytes(20);
  const interName = name("hostile-bench intermediate");
  return {
    label: "valid P-256 leaf→intermediate→root",
    description: "a valid X.509-SVID chain: P-256 leaf and intermediate, P-256 root in the bundle (2 P-256 signature checks)",
    expect: "accepted",
    checks: 2,
    async build() {
      const inter = await caCertificate({ subject: interName, issuer: root.name, key, ski: keyId, aki: root.keyId, extra: [subjectAltName([gn.uri(`spiffe://${TRUST_DOMAIN}`)])] }, root.key.signer!);
      return [await leafCertificate({ issuer: interName, path: "valid", aki: keyId }, key.signer!), inter];
    },
  };
}

/**
 * A "mesh": a leaf and 15 CA certificates that all carry the name `CN=hostile-bench mesh`
 * (never the bundle root's, so the root is no candidate and costs nothing) and one shared key
 * identifier, so neither names nor key identifiers tell the issuers apart. CA `a` (the first
 * after the leaf) really signed the leaf; `a`'s own signature is forged; the other CAs
 * ("decoys") sign nothing. Path building checks the leaf against `a` (valid), then `a`
 * against every decoy in order (each invalid), then the leaf against the decoys, until the
 * budget stops it: with `decoys` ordered by cost, every check the budget allows is made.
 */
function mesh(o: { label: string; description: string; checks: number; a: Key; aForged: Signer; decoys: readonly Key[] }): ChainFamily {
  const meshName = name("hostile-bench mesh");
  const keyId = randomBytes(20);
  if (o.decoys.length !== LIMITS.chainCertificates - 2) throw new Error(`a mesh has ${LIMITS.chainCertificates - 2} decoys`);
  return {
    label: o.label,
    description: o.description,
    expect: "ERR_X509_SVID_VERIFICATION_LIMIT",
    checks: o.checks,
    async build() {
      const ca = (key: Key, signer: Signer): Promise<Bytes> => caCertificate({ subject: meshName, issuer: meshName, key, ski: keyId, aki: keyId }, signer);
      const leaf = await leafCertificate({ issuer: meshName, path: "mesh", aki: keyId }, o.a.signer!);
      const decoys: Bytes[] = [];
      for (const d of o.decoys) decoys.push(await ca(d, o.aForged));
      return [leaf, await ca(o.a, o.aForged), ...decoys];
    },
  };
}

/** (a) P-521: 2 checks of 4 units each (8 of the budget of 9); the third is refused. */
export async function p521Mesh(): Promise<ChainFamily> {
  return mesh({
    label: "(a) P-521 mesh: 2 P-521 checks (the whole cost budget)",
    description:
      "leaf + 7 same-name CAs with P-521 keys and a shared key identifier: the leaf verifies under CA a (P-521 check 1, 4 units), a's forged signature fails under decoy 1 " +
      "(check 2, 8 units), the third P-521 check would exceed the budget of 9 units",
    checks: 2,
    a: await ecdsaKey("P-521"),
    aForged: forgedEcdsa("SHA-512"),
    decoys: await keys(6, () => ecdsaKey("P-521")),
  });
}

/** (b) P-384: 3 checks of 3 units fill the budget of 9. */
export async function p384Mesh(): Promise<ChainFamily> {
  return mesh({
    label: "(b) P-384 mesh: 3 P-384 checks (the whole cost budget)",
    description:
      "leaf + 7 same-name CAs with P-384 keys: the leaf verifies under a (3 units), a's forged signature fails under decoys 1 and 2 (9 units); the next would exceed the budget",
    checks: 3,
    a: await ecdsaKey("P-384"),
    aForged: forgedEcdsa("SHA-384"),
    decoys: await keys(6, () => ecdsaKey("P-384")),
  });
}

/** (c) RSA-4096, e = 65535: 3 checks of 3 units, the cost budget reached. */
export async function rsa4096Mesh(): Promise<ChainFamily> {
  return mesh({
    label: "(c) RSA-4096 mesh, e=65535: 3 checks (the whole cost budget)",
    description:
      "leaf + 7 same-name CAs with RSA-4096 keys whose exponent is 65535 (the costliest the key policy accepts): the leaf verifies under CA a, a's forged signature fails under " +
      "decoys 1 and 2: 3 checks of 3 units = 9; the 4th would pass the budget and is refused",
    checks: 3,
    a: rsa4096Key(),
    aForged: forgedRsa4096(),
    decoys: await keys(6, rsa4096DecoyKey),
  });
}

/** (d) P-256: all 9 checks. */
export async function p256Mesh(): Promise<ChainFamily> {
  return mesh({
    label: "(d) P-256 mesh: 9 P-256 checks (the check limit)",
    description: "leaf + 7 same-name CAs with P-256 keys: the leaf verifies under CA a, a fails under the 6 decoys, the leaf fails under decoys 1 and 2: 9 checks (9 units); the 10th is refused",
    checks: 9,
    a: await ecdsaKey("P-256"),
    aForged: forgedEcdsa("SHA-256"),
    decoys: await keys(6, () => ecdsaKey("P-256")),
  });
}

/** (e) 1 P-521 + 5 P-256 checks: 6 checks, 9 units. */
export async function mixedCurveMesh(): Promise<ChainFamily> {
  return mesh({
    label: "(e) mixed-curve mesh: 1 P-521 + 5 P-256 checks",
    description:
      "leaf + 7 same-name CAs: a (P-256) signed the leaf; decoy 1 has a P-521 key, decoys 2-6 P-256 keys; a's forged ECDSA signature is checked under decoy 1 (P-521, 4 units) " +
      "and decoys 2-5 (P-256): 6 checks, 9 units; the next is refused",
    checks: 6,
    a: await ecdsaKey("P-256"),
    aForged: forgedEcdsa("SHA-256"),
    decoys: [await ecdsaKey("P-521"), ...(await keys(5, () => ecdsaKey("P-256")))],
  });
}

/** The name forms of the name-constraint families. */
export type NameForm = "directoryName" | "dNSName" | "rfc822Name" | "uniformResourceIdentifier";

/**
 * A domain name of 253 characters ending in the label `last`: as many one-letter labels as
 * fit before it (125 or 126), so that splitting and checking it costs the most per byte.
 */
function manyLabels(last: string): string {
  const count = Math.floor((253 - last.length) / 2);
  return `${Array.from({ length: count }, () => "a").join(".")}.${last}`;
}

/**
 * A Name of `rdns` RDNs (32 by default) whose first ones are shared by every name of a family and whose last one is
 * `last`: comparing it with a subtree of the same 31 first RDNs goes through all 32. Values are
 * `width` full-width letters (UTF-8, 3 bytes each, which NFKC folds: the costliest to compare).
 */
function deepName(last: string, width: number, rdns: number = LIMITS.nameAttributes): Bytes {
  return nameOf([...Array.from({ length: rdns - 1 }, (_, i) => `${"Ｖ".repeat(width)}${i}`), last]);
}

/**
 * directoryName families: a comparison counts once per RDN of the subtree, and a certificate
 * holds at most 256 name attributes, so 8 subtrees of 8 RDNs × 16 names of 8 RDNs is the
 * most: 8 × 8 × 16 = 1,024 (the CA holds 64 attributes in its subtrees, the leaf 128).
 */
const DIR_RDNS = 8;
const DIR_SUBTREES = 8;

const chainBytes = (chain: readonly Uint8Array[]): number => chain.reduce((n, c) => n + c.length, 0);

/** The largest `width` from `max` down whose chain stays within 64 KiB. */
async function widest(max: number, build: (width: number) => Promise<Bytes[]>): Promise<number> {
  for (let width = max; width > 0; width--) if (chainBytes(await build(width)) <= LIMITS.chainBytes) return width;
  throw new Error("no width fits 64 KiB");
}

/**
 * (f)-(i) Name constraints × names of one form. An intermediate under the root excludes 32
 * names of the form that match nothing; the names below it are all of that form and as costly
 * to compare as the form allows (8-RDN directory names equal to the subtrees but for their
 * last RDN; DNS names, mailboxes and URI hosts of 253 characters in 126 labels differing in
 * the last one). Each name costs one comparison per subtree: 32 names × 32 subtrees is exactly
 * the limit (1,024, accepted); with `over`, a 33rd name is refused when the count would pass
 * 1,024 (after 1,024). URIs: a leaf has one (its SPIFFE ID), so the URIs are on a second
 * intermediate below the constraining one (its names are checked too).
 */
export async function nameConstraintChain(root: BenchRoot, form: NameForm, over = false): Promise<ChainFamily> {
  const dir = form === "directoryName";
  const subtrees = dir ? DIR_SUBTREES : 32;
  const weight = dir ? DIR_RDNS : 1; // comparisons counted per subtree looked at
  const names = LIMITS.nameConstraintChecks / (subtrees * weight) + (over ? 1 : 0); // every name of the certificates below the constraining CA
  const inter = await ecdsaKey("P-256");
  const interId = randomBytes(20);
  const interName = name("hostile-bench constrained intermediate");
  const second = await ecdsaKey("P-256");
  const secondName = name("hostile-bench URI intermediate");
  const secondId = randomBytes(20);
  const subtree = (j: number, width: number): Bytes => {
    switch (form) {
      case "directoryName":
        return gn.dir(deepName(`subtree ${j}`, width, DIR_RDNS));
      case "dNSName":
        return gn.dns(manyLabels(`x${j}`));
      case "rfc822Name":
        return gn.email(`.${manyLabels(`x${j}`)}`);
      case "uniformResourceIdentifier":
        return gn.uri(manyLabels(`x${j}`)); // a host: compared exactly, then (excluded) as a parent domain
    }
  };
  const nameOfForm = (k: number, width: number): Bytes => {
    switch (form) {
      case "directoryName":
        return gn.dir(deepName(`name ${k}`, width, DIR_RDNS));
      case "dNSName":
        return gn.dns(manyLabels(`n${k}`));
      case "rfc822Name":
        return gn.email(`u${k}@${manyLabels("n")}`);
      case "uniformResourceIdentifier":
        return gn.uri(`https://${manyLabels(`n${k}`)}/`);
    }
  };
  const build = async (width: number): Promise<Bytes[]> => {
    const nc = nameConstraints({ excluded: Array.from({ length: subtrees }, (_, j) => subtree(j, width)) });
    const constrained = await caCertificate({ subject: interName, issuer: root.name, key: inter, ski: interId, aki: root.keyId, extra: [nc] }, root.key.signer!);
    if (form === "uniformResourceIdentifier") {
      const uris = Array.from({ length: names - 3 }, (_, k) => nameOfForm(k, width));
      const mid = await caCertificate({ subject: secondName, issuer: interName, key: second, ski: secondId, aki: interId, extra: [subjectAltName(uris)] }, inter.signer!);
      return [await leafCertificate({ issuer: secondName, path: "nc-uri", aki: secondId }, second.signer!), mid, constrained];
    }
    const subject = form === "directoryName" ? deepName("subject", width, DIR_RDNS) : undefined;
    const sans = Array.from({ length: names - 2 }, (_, k) => nameOfForm(k, width));
    return [await leafCertificate({ issuer: interName, path: `nc-${form}`, aki: interId, subject, sans }, inter.signer!), constrained];
  };
  const width = form === "directoryName" ? await widest(12, build) : 0;
  const what = {
    directoryName: `${DIR_RDNS}-RDN directoryNames (values of ${width} full-width letters and a number)`,
    dNSName: "253-character dNSNames of 126 labels",
    rfc822Name: "mailboxes on 253-character domains of 127 labels",
    uniformResourceIdentifier: "URIs of 253-character hosts of 126 labels",
  }[form];
  const letter = { directoryName: "f", dNSName: "g", rfc822Name: "h", uniformResourceIdentifier: "i" }[form];
  return {
    label: over
      ? `(${letter}+) name constraints: ${names} ${form}-form names × ${subtrees} subtrees (over the limit: refused after ${LIMITS.nameConstraintChecks} comparisons)`
      : `(${letter}) name constraints: ${form} × ${names * subtrees * weight} comparisons (the most the limit allows)`,
    description:
      `an intermediate excludes ${subtrees} ${what}, none matching; below it ${names} names are checked (` +
      (form === "uniformResourceIdentifier"
        ? `a second intermediate's subject and ${names - 3} URIs, the leaf's subject and SPIFFE ID`
        : `the leaf's subject, its SPIFFE ID and ${names - 2} ${form}s`) +
      `): ${names} × ${subtrees}${dir ? ` × ${DIR_RDNS} RDNs` : ""} = ${names * subtrees * weight} comparisons` +
      (over ? `: refused when the count would pass ${LIMITS.nameConstraintChecks}, after ${LIMITS.nameConstraintChecks} comparisons` : ", exactly the limit; chain valid"),
    expect: over ? "ERR_X509_SVID_VERIFICATION_LIMIT" : "accepted",
    checks: form === "uniformResourceIdentifier" ? 3 : 2,
    build: () => build(width),
  };
}

/**
 * (j), (k) The largest certificate the parser accepts, as costly to decode as we could make
 * it: 32 extensions; a SubjectAltName of the SPIFFE ID and 127 directoryNames, and an
 * authorityKeyIdentifier whose authorityCertIssuer holds as many more as fit, every one a Name
 * of 32 one-character attributes of string type `tag` (the smallest attribute, so the most of
 * them per byte); a subject of 32 attributes. The whole chain (this leaf and a small
 * intermediate) just under 64 KiB, or (`oversized`, the sanity row (n)) just over it. Chain valid.
 */
export async function largestCertificateChain(root: BenchRoot, tag: StringTag, oversized = false): Promise<ChainFamily> {
  const key = await ecdsaKey("P-256");
  const keyId = randomBytes(20);
  const interName = name("hostile-bench intermediate (largest leaf)");
  const dn = nameOf(Array.from({ length: LIMITS.nameAttributes }, () => "x"), tag);
  // At most 256 name attributes per certificate: the subject (32), the issuer (1) and 6 directoryNames of 32.
  const dirNames = Math.floor((LIMITS.certificateNameAttributes - LIMITS.nameAttributes - 1) / LIMITS.nameAttributes);
  const sanNames = [...Array.from({ length: dirNames }, () => gn.dir(dn)), ...Array.from({ length: LIMITS.generalNames - 1 - dirNames }, (_, i) => gn.dns(manyLabels(`s${i}`)))];
  const fillers = Array.from({ length: LIMITS.extensions - 4 }, (_, i) => filler(i)); // + basicConstraints, keyUsage, SAN, AKI
  const make = async (akiNames: number): Promise<Bytes[]> => {
    const inter = await caCertificate({ subject: interName, issuer: root.name, key, ski: keyId, aki: root.keyId }, root.key.signer!);
    const aki = authorityCertIssuer(Array.from({ length: akiNames }, (_, i) => gn.dns(manyLabels(`a${i}`))));
    const leaf = await leafCertificate({ issuer: interName, path: "largest", subject: dn, sans: sanNames, replaceAki: aki, extra: fillers }, key.signer!);
    return [leaf, inter];
  };
  // As many authorityCertIssuer names as keep the chain within 64 KiB (4 more for the oversized chain).
  let akiNames = Math.min(LIMITS.generalNames, Math.ceil((LIMITS.chainBytes - chainBytes(await make(1))) / gn.dns(manyLabels("a0")).length) + 1);
  while (chainBytes(await make(akiNames)) > LIMITS.chainBytes) akiNames--;
  if (oversized) akiNames += 4;
  const sample = await make(akiNames);
  const total = chainBytes(sample);
  const attributes = (dirNames + 1) * LIMITS.nameAttributes;
  const type = tag === 0x0c ? "UTF8String" : "PrintableString";
  return {
    label: oversized
      ? "(n) sanity: the chain of (j) grown just over 64 KiB"
      : `(${tag === 0x0c ? "j" : "k"}) largest leaf: 32 extensions, ${dirNames + 1} Names × 32 ${type} attributes, ${LIMITS.generalNames - 1 - dirNames + akiNames} 253-character dNSNames`,
    description: oversized
      ? `the (j) chain with 4 more names: ${total} bytes, over the 64 KiB input limit (refused before anything is parsed)`
      : `a ${sample[0]!.length}-byte leaf: 32 extensions, a SAN of its SPIFFE ID, ${dirNames} directoryNames and ${LIMITS.generalNames - 1 - dirNames} dNSNames, an authorityCertIssuer of ${akiNames} dNSNames, a 32-attribute subject: ` +
        `${attributes} one-character ${type} attributes to decode and check; chain of ${total} bytes (limit ${LIMITS.chainBytes}); chain valid`,
    expect: oversized ? "ERR_X509_SVID_TOO_LARGE" : "accepted",
    checks: oversized ? 0 : 2,
    build: () => make(akiNames),
  };
}

/** (l) The longest valid path: leaf + 7 intermediates in the chain, the root in the bundle; 8 P-256 checks. */
export async function longestValidChain(root: BenchRoot): Promise<ChainFamily> {
  const count = LIMITS.chainCertificates - 1;
  const cas = await keys(count, () => ecdsaKey("P-256"));
  const ids = cas.map(() => randomBytes(20));
  const names = cas.map((_, i) => name(`hostile-bench intermediate ${i + 1}`));
  return {
    label: "(l) longest valid chain: 8 certificates, 8 P-256 checks",
    description: `leaf + ${count} intermediates in a line under the root (each P-256, distinct names): the path of 9 certificates validates with 8 P-256 checks; chain valid`,
    expect: "accepted",
    checks: 8,
    async build() {
      const chain: Bytes[] = [];
      for (let i = 0; i < count; i++) {
        const issuer = i === 0 ? { name: root.name, id: root.keyId, signer: root.key.signer! } : { name: names[i - 1]!, id: ids[i - 1]!, signer: cas[i - 1]!.signer! };
        chain.unshift(await caCertificate({ subject: names[i]!, issuer: issuer.name, key: cas[i]!, ski: ids[i]!, aki: issuer.id }, issuer.signer));
      }
      const leaf = await leafCertificate({ issuer: names[count - 1]!, path: "longest", aki: ids[count - 1]! }, cas[count - 1]!.signer!);
      return [leaf, ...chain];
    },
  };
}

/**
 * (m) Everything at once: 1 RSA-4096 decoy (e = 65535) named like the leaf's real issuer I
 * comes first (1 failed check, 3 units), then I (RSA-4096, valid, 6 units), then I under the
 * root (P-256, 7 units): 3 checks. I excludes 8 directoryName subtrees and the
 * leaf carries 16 directoryName-form names (its subject and 14 SAN directoryNames; plus its
 * SPIFFE ID): 1,024 comparisons weighted by RDN (8 × 8 × 16). All in 64 KiB. Chain valid.
 */
export async function everythingChain(root: BenchRoot): Promise<ChainFamily> {
  const issuerKey = rsa4096Key();
  const issuerId = randomBytes(20);
  const issuerName = name("hostile-bench issuer");
  const decoys = await keys(1, rsa4096DecoyKey); // 1 failed check of 3 units, then I (3) and the root (P-256, 1): 7 units
  const forged = forgedRsa4096();
  const build = async (width: number): Promise<Bytes[]> => {
    const nc = nameConstraints({ excluded: Array.from({ length: DIR_SUBTREES }, (_, j) => gn.dir(deepName(`subtree ${j}`, width, DIR_RDNS))) });
    const issuer = await caCertificate({ subject: issuerName, issuer: root.name, key: issuerKey, ski: issuerId, aki: root.keyId, extra: [nc] }, root.key.signer!);
    const decoyCerts: Bytes[] = [];
    for (const d of decoys) decoyCerts.push(await caCertificate({ subject: issuerName, issuer: issuerName, key: d, ski: issuerId, aki: issuerId }, forged));
    const sans = Array.from({ length: 14 }, (_, k) => gn.dir(deepName(`name ${k}`, width, DIR_RDNS)));
    const leaf = await leafCertificate({ issuer: issuerName, path: "everything", aki: issuerId, subject: deepName("subject", width, DIR_RDNS), sans }, issuerKey.signer!);
    return [leaf, ...decoyCerts, issuer];
  };
  const width = await widest(8, build);
  return {
    label: "(m) everything at once: 3 checks (2 RSA-4096) + 1,024 directoryName comparisons",
    description:
      "1 RSA-4096 decoy (e = 65535) with the name and key identifier of the leaf's issuer I, sent before I: 1 failed check, then I (RSA-4096, e = 65535) and I under the root: " +
      `3 checks, 7 units; I excludes ${DIR_SUBTREES} directoryNames of ${DIR_RDNS} RDNs (values of ${width} full-width letters and a number) and the leaf has 16 names (subject, SPIFFE ID, 14 directoryNames): ` +
      "1,024 weighted comparisons; chain valid",
    expect: "accepted",
    checks: 3,
    build: () => build(width),
  };
}

/** Throws unless `chain` is inside the input limits (or, for `expectTooLarge`, just outside the byte limit). */
export function checkInput(label: string, chain: readonly Uint8Array[], expectTooLarge = false): void {
  const bytes = chain.reduce((n, d) => n + d.length, 0);
  const inside = chain.length <= LIMITS.chainCertificates && bytes <= LIMITS.chainBytes;
  if (inside === expectTooLarge) throw new Error(`${label}: ${chain.length} certificates, ${bytes} bytes: ${inside ? "inside" : "outside"} the input limits`);
}

/** One signature check of a kind the families cause: a key, a signature, signed data. */
export interface CheckKind {
  readonly label: string;
  readonly spki: Bytes;
  readonly importParams: EcKeyImportParams | RsaHashedImportParams;
  readonly verifyParams: EcdsaParams | Algorithm;
  readonly signature: Bytes;
  readonly data: Bytes;
}

/** The kinds of signature check the families cause, for a per-check cost figure (import + verify, as the verifier does per issuer). */
export async function checkKinds(): Promise<CheckKind[]> {
  const data = randomBytes(1024);
  const out: CheckKind[] = [];
  for (const curve of ["P-256", "P-384", "P-521"] as const) {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
    const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: HASH_OF[curve] }, pair.privateKey, data));
    out.push({ label: curve, spki, importParams: { name: "ECDSA", namedCurve: curve }, verifyParams: { name: "ECDSA", hash: HASH_OF[curve] }, signature, data });
  }
  const rsa = rsa4096DecoyKey();
  out.push({
    label: "RSA-4096 e=65535",
    spki: rsa.spki,
    importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verifyParams: { name: "RSASSA-PKCS1-v1_5" },
    signature: await forgedRsa4096().sign(data),
    data,
  });
  return out;
}
