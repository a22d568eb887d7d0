// Generators of hostile X.509-SVID chains for bench/hostile-chain.ts: the most expensive
// inputs we could think of that stay inside verifyX509Svid's input caps (at most 16
// certificates, at most 1 MiB). Every certificate is DER built here, byte for byte (names,
// keys, key identifiers, extensions, signatures), so no library normalizes the hostile parts
// away. RSA keys are multi-prime keys made with BigInt (so any modulus size and public
// exponent can be had, and signed with, in well under a second); EC keys come from Web Crypto.
// Bench only (bench/run.mjs skips files starting with "_"); never imported by src/.

/** The trust domain of every chain: its bundle holds {@link HostileChains.root}. */
export const TRUST_DOMAIN = "example.org";
/** verifyX509Svid's input caps (src/core/svid/x509/read-chain.ts). */
export const MAX_CHAIN_CERTIFICATES = 16;
export const MAX_CHAIN_BYTES = 1024 * 1024;

type Bytes = Uint8Array<ArrayBuffer>;

// ---------------------------------------------------------------------------------------
// DER

function concat(parts: readonly Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  return [0x80 | octets.length, ...octets];
}

function tlv(tag: number, ...content: readonly Uint8Array[]): Bytes {
  return tlvOf(tag, content);
}

/** `tlv` for long lists (spreading 100,000 arguments overflows the stack). */
function tlvOf(tag: number, content: readonly Uint8Array[]): Bytes {
  const body = concat(content);
  return concat([new Uint8Array([tag, ...lengthOctets(body.length)]), body]);
}

const seq = (...content: readonly Uint8Array[]): Bytes => tlv(0x30, ...content);
const set = (...content: readonly Uint8Array[]): Bytes => tlv(0x31, ...content);
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
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  return d.getUTCFullYear() < 2050 ? tlv(0x17, ascii(`${digits.slice(2)}Z`)) : tlv(0x18, ascii(`${digits}Z`));
}

/** Name `O=SPIFFE, CN=<cn>`. */
function name(cn: string): Bytes {
  return seq(set(seq(oid("2.5.4.10"), tlv(0x0c, ascii("SPIFFE")))), set(seq(oid("2.5.4.3"), tlv(0x0c, ascii(cn)))));
}

function extension(id: string, critical: boolean, value: Uint8Array): Bytes {
  return critical ? seq(oid(id), TRUE, tlv(0x04, value)) : seq(oid(id), tlv(0x04, value));
}

const basicConstraints = (ca: boolean): Bytes => extension("2.5.29.19", true, ca ? seq(TRUE) : seq());
// keyCertSign + cRLSign (bits 5, 6) for CAs; digitalSignature (bit 0) for leaves.
const keyUsage = (ca: boolean): Bytes => extension("2.5.29.15", true, ca ? new Uint8Array([0x03, 0x02, 0x01, 0x06]) : new Uint8Array([0x03, 0x02, 0x07, 0x80]));
const subjectKeyId = (id: Uint8Array): Bytes => extension("2.5.29.14", false, tlv(0x04, id));
const authorityKeyId = (id: Uint8Array): Bytes => extension("2.5.29.35", false, seq(tlv(0x80, id)));

/** SubjectAltName: URIs (tag [6]) then DNS names (tag [2]). */
function subjectAltName(uris: readonly string[], dnsNames: readonly string[] = []): Bytes {
  return extension("2.5.29.17", false, tlvOf(0x30, [...uris.map((u) => tlv(0x86, ascii(u))), ...dnsNames.map((d) => tlv(0x82, ascii(d)))]));
}

/** NameConstraints (critical): permitted URI hosts and DNS names, excluded DNS names. */
function nameConstraints(permittedUris: readonly string[], permittedDns: readonly string[], excludedDns: readonly string[]): Bytes {
  const subtree = (tag: number) => (n: string): Bytes => seq(tlv(tag, ascii(n)));
  const permitted = tlvOf(0xa0, [...permittedUris.map(subtree(0x86)), ...permittedDns.map(subtree(0x82))]);
  const excluded = excludedDns.length ? [tlvOf(0xa1, excludedDns.map(subtree(0x82)))] : [];
  return extension("2.5.29.30", true, seq(permitted, ...excluded));
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
// Keys and signers

/** What signs certificates: its SubjectPublicKeyInfo, the signatureAlgorithm it writes, and sign(tbs). */
export interface Signer {
  readonly label: string;
  readonly spki: Bytes;
  readonly algorithm: Bytes;
  sign(tbs: Bytes): Promise<Bytes>;
}

const SIGNATURE_OIDS = { "P-256": "1.2.840.10045.4.3.2", "P-521": "1.2.840.10045.4.3.4" } as const;
const HASH_OF = { "P-256": "SHA-256", "P-521": "SHA-512" } as const;

/** A fresh ECDSA key (P-256 with SHA-256, P-521 with SHA-512). */
export async function ecdsaSigner(curve: "P-256" | "P-521"): Promise<Signer> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const size = curve === "P-256" ? 32 : 66;
  return {
    label: curve,
    spki,
    algorithm: seq(oid(SIGNATURE_OIDS[curve])),
    async sign(tbs) {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: HASH_OF[curve] }, pair.privateKey, tbs));
      return seq(integer(raw.subarray(0, size)), integer(raw.subarray(size)));
    },
  };
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

/** A multi-prime RSA key (RFC 8017 §3): to a verifier, any RSA public key of its size. */
interface RsaKey {
  readonly n: bigint;
  readonly e: bigint;
  readonly bytes: number;
  readonly primes: readonly bigint[];
  /** d mod (p - 1), per prime. */
  readonly exponents: readonly bigint[];
  /** CRT coefficients: (n/p) · ((n/p)⁻¹ mod p), per prime. */
  readonly coefficients: readonly bigint[];
}

/**
 * An RSA key of exactly `bits` bits made of `bits / 512` primes of 512 bits, with public
 * exponent `e`, or (`e` a number of bits) a random odd exponent of that many bits.
 */
function rsaKey(bits: number, e: bigint | { bits: number }): RsaKey {
  const count = bits / 512;
  // Every prime ≥ 2^(512 − 1/count) makes the product ≥ 2^(bits − 1): exactly `bits` bits.
  const scale = 1_000_000_000n;
  const low = ((1n << 512n) * BigInt(Math.ceil(2 ** (-1 / count) * 1e9) + 1)) / scale;
  for (;;) {
    const primes: bigint[] = [];
    while (primes.length < count) {
      const p = randomPrime(512, low);
      if (!primes.includes(p)) primes.push(p);
    }
    const n = primes.reduce((a, p) => a * p, 1n);
    if (n.toString(2).length !== bits) continue;
    let exponent: bigint;
    if (typeof e === "bigint") {
      exponent = e;
      if (primes.some((p) => gcd(exponent, p - 1n) !== 1n)) continue;
    } else {
      do exponent = (bytesToBig(randomBytes(e.bits / 8)) | (1n << BigInt(e.bits - 1)) | 1n) % (1n << BigInt(e.bits));
      while (primes.some((p) => gcd(exponent, p - 1n) !== 1n));
    }
    const exponents = primes.map((p) => modInverse(exponent % (p - 1n), p - 1n));
    const coefficients = primes.map((p) => {
      const m = n / p;
      return (m * modInverse(m % p, p)) % n;
    });
    return { n, e: exponent, bytes: bits / 8, primes, exponents, coefficients };
  }
}

const SHA256_DIGEST_INFO = new Uint8Array([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]);

/** RSASSA-PKCS1-v1_5 with SHA-256 (sha256WithRSAEncryption), signed with the CRT. */
function rsaSigner(label: string, key: RsaKey): Signer {
  const spki = seq(seq(oid("1.2.840.113549.1.1.1"), NULL), tlv(0x03, new Uint8Array([0]), seq(integer(bigToBytes(key.n)), integer(bigToBytes(key.e)))));
  let checked = false;
  return {
    label,
    spki,
    algorithm: seq(oid("1.2.840.113549.1.1.11"), NULL),
    async sign(tbs) {
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", tbs));
      const t = concat([SHA256_DIGEST_INFO, hash]);
      const em = new Uint8Array(key.bytes).fill(0xff);
      em[0] = 0x00;
      em[1] = 0x01;
      em[key.bytes - t.length - 1] = 0x00;
      em.set(t, key.bytes - t.length);
      const m = bytesToBig(em);
      let s = 0n;
      key.primes.forEach((p, i) => {
        s += modPow(m % p, key.exponents[i]!, p) * key.coefficients[i]!;
      });
      s %= key.n;
      if (!checked) {
        // Once per key: the signature really verifies under (n, e).
        if (modPow(s, key.e, key.n) !== m) throw new Error(`${label}: RSA signing self-check failed`);
        checked = true;
      }
      return bigToBytes(s, key.bytes);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Certificates

interface CertificateSpec {
  readonly issuer: Bytes;
  readonly subject: Bytes;
  readonly spki: Bytes;
  readonly extensions: readonly Bytes[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

async function certificate(spec: CertificateSpec, signer: Signer): Promise<Bytes> {
  const tbs = seq(
    tlv(0xa0, new Uint8Array([0x02, 0x01, 0x02])), // v3
    integer(serialNumber()),
    signer.algorithm,
    spec.issuer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.spki,
    tlv(0xa3, tlvOf(0x30, spec.extensions)),
  );
  return seq(tbs, signer.algorithm, tlv(0x03, new Uint8Array([0]), await signer.sign(tbs)));
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Whole seconds (certificate times have no fractions). */
const at = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

/** One chain to verify: the peer's certificates, leaf first, and what it is. */
export interface HostileChain {
  /** Short label for the bench tables. */
  readonly label: string;
  /** What is hostile about it, with its sizes. */
  readonly description: string;
  /** DER certificates, leaf first (as a TLS peer sends them). */
  readonly chain: readonly Bytes[];
  /** (c) only: constraints × names, the comparisons a verifier without a cap makes. */
  readonly comparisons?: number;
}

/** The trust anchor all chains are verified against (the bundle of {@link TRUST_DOMAIN}). */
export interface BenchRoot {
  readonly der: Bytes;
  readonly name: Bytes;
  readonly keyId: Bytes;
  readonly signer: Signer;
}

/** A P-256 root CA: `CN=hostile-bench root`, SPIFFE ID `spiffe://example.org`. */
export async function createRoot(): Promise<BenchRoot> {
  const signer = await ecdsaSigner("P-256");
  const rootName = name("hostile-bench root");
  const keyId = randomBytes(20);
  const now = Date.now();
  const der = await certificate(
    {
      issuer: rootName,
      subject: rootName,
      spki: signer.spki,
      extensions: [basicConstraints(true), keyUsage(true), subjectKeyId(keyId), subjectAltName([`spiffe://${TRUST_DOMAIN}`])],
      notBefore: at(now - DAY),
      notAfter: at(now + 365 * DAY),
    },
    signer,
  );
  return { der, name: rootName, keyId, signer };
}

/** An intermediate CA signed by the root, with optional extra extensions. */
async function intermediate(root: BenchRoot, cn: string, extra: readonly Bytes[] = []): Promise<{ der: Bytes; name: Bytes; keyId: Bytes; signer: Signer }> {
  const signer = await ecdsaSigner("P-256");
  const interName = name(cn);
  const keyId = randomBytes(20);
  const now = Date.now();
  const der = await certificate(
    {
      issuer: root.name,
      subject: interName,
      spki: signer.spki,
      extensions: [basicConstraints(true), keyUsage(true), subjectKeyId(keyId), authorityKeyId(root.keyId), subjectAltName([`spiffe://${TRUST_DOMAIN}`]), ...extra],
      notBefore: at(now - DAY),
      notAfter: at(now + 30 * DAY),
    },
    root.signer,
  );
  return { der, name: interName, keyId, signer };
}

/** A leaf X.509-SVID (cA false, digitalSignature) with `extra` extensions. */
async function leaf(issuer: { name: Bytes; keyId: Bytes; signer: Signer }, path: string, extra: readonly Bytes[] = [], san?: Bytes): Promise<Bytes> {
  const key = await ecdsaSigner("P-256");
  const now = Date.now();
  return certificate(
    {
      issuer: issuer.name,
      subject: name(`leaf ${path}`),
      spki: key.spki,
      extensions: [basicConstraints(false), keyUsage(false), authorityKeyId(issuer.keyId), san ?? subjectAltName([`spiffe://${TRUST_DOMAIN}/${path}`]), ...extra],
      notBefore: at(now - HOUR),
      notAfter: at(now + DAY),
    },
    issuer.signer,
  );
}

/** The baseline: a valid P-256 leaf → intermediate → root chain. */
export async function validChain(root: BenchRoot): Promise<HostileChain> {
  const inter = await intermediate(root, "hostile-bench intermediate");
  return {
    label: "valid P-256 leaf→intermediate→root",
    description: "a valid X.509-SVID chain: P-256 leaf and intermediate, P-256 root in the bundle",
    chain: [await leaf(inter, "valid"), inter.der],
  };
}

/**
 * A mesh of 15 CA certificates that all carry the ROOT's name as subject and issuer and the
 * root's key identifier as SKI and AKI (so neither names nor key identifiers tell the real
 * issuer apart), plus a leaf issued under that name. `keyOf(i)` is CA i's key; CA i is
 * signed by the key of CA i+1 (CA 15 by CA 1's), the leaf by CA 1's: every signature is
 * valid, so path building walks through all 16 certificates and checks every
 * (certificate, candidate issuer) pair, yet no path ever reaches the root. The chain lists
 * the CAs in reverse (CA 15 first), so the one valid issuer of the leaf comes last.
 */
async function mesh(root: BenchRoot, signers: readonly Signer[], path: string): Promise<Bytes[]> {
  const now = Date.now();
  const cas: Bytes[] = [];
  for (let i = 0; i < signers.length; i++) {
    cas.push(
      await certificate(
        {
          issuer: root.name,
          subject: root.name,
          spki: signers[i]!.spki,
          extensions: [basicConstraints(true), keyUsage(true), subjectKeyId(root.keyId), authorityKeyId(root.keyId), subjectAltName([`spiffe://${TRUST_DOMAIN}`])],
          notBefore: at(now - DAY),
          notAfter: at(now + 30 * DAY),
        },
        signers[(i + 1) % signers.length]!,
      ),
    );
  }
  const leafDer = await leaf({ name: root.name, keyId: root.keyId, signer: signers[0]! }, path);
  return [leafDer, ...cas.reverse()];
}

const MESH_CAS = MAX_CHAIN_CERTIFICATES - 1;

/**
 * (a) The chain: 15 same-name CAs sharing ONE RSA-3072 public key whose exponent is
 * a random odd 3000-bit number (an RSA public operation then costs ~3000 modular squarings
 * instead of 17), all signatures valid (we hold the key), so every pair is checked.
 */
export async function sharedHugeExponentMesh(root: BenchRoot): Promise<HostileChain> {
  const signer = rsaSigner("RSA-3072, e of 3000 bits", rsaKey(3072, { bits: 3000 }));
  return {
    label: "(a) 15 same-name CAs sharing one RSA-3072 key with a 3000-bit exponent",
    description:
      "leaf + 15 CAs, all named like the bundle root and carrying its key identifier, one shared RSA-3072 public key with a random odd 3000-bit exponent; " +
      "every signature valid, CA i signed by CA i+1 in a cycle, so path building checks every (certificate, candidate) pair and never reaches the root",
    chain: await mesh(root, Array.from({ length: MESH_CAS }, () => signer), "mesh-a"),
  };
}

/** (b) 15 same-name CAs with distinct P-521 keys, cross-signed in a cycle (ECDSA P-521 with SHA-512). */
export async function p521Mesh(root: BenchRoot): Promise<HostileChain> {
  const signers: Signer[] = [];
  for (let i = 0; i < MESH_CAS; i++) signers.push(await ecdsaSigner("P-521"));
  return {
    label: "(b) 15 same-name cross-signed P-521 CAs (distinct keys, shared SKI/AKI)",
    description:
      "leaf + 15 CAs named like the bundle root with its key identifier as SKI and AKI, 15 distinct P-521 keys, CA i signed by CA i+1 in a cycle (ecdsa-with-SHA512): " +
      "every pair is a P-521 signature check, no path reaches the root",
    chain: await mesh(root, signers, "mesh-p521"),
  };
}

/** (b) The same mesh with 15 distinct RSA-8192 keys, e = 65537 (sha256WithRSAEncryption). */
export async function rsa8192Mesh(root: BenchRoot): Promise<HostileChain> {
  const signers: Signer[] = [];
  for (let i = 0; i < MESH_CAS; i++) signers.push(rsaSigner("RSA-8192", rsaKey(8192, 65537n)));
  return {
    label: "(b) 15 same-name cross-signed RSA-8192 CAs, e=65537 (distinct keys, shared SKI/AKI)",
    description:
      "leaf + 15 CAs named like the bundle root with its key identifier as SKI and AKI, 15 distinct RSA-8192 keys with e = 65537 (16-prime keys: to a verifier " +
      "any 8192-bit RSA key), CA i signed by CA i+1 in a cycle: every pair is an RSA-8192 signature check, no path reaches the root",
    chain: await mesh(root, signers, "mesh-rsa8192"),
  };
}

/** Sizes of a name-constraint chain. */
export interface NameConstraintSize {
  /** Permitted DNS subtrees; only the last one ("t") matches the leaf's DNS names. */
  readonly permitted: number;
  /** Excluded DNS subtrees; none matches. */
  readonly excluded: number;
  /** DNS SANs of the leaf (besides its SPIFFE ID), all under "t". */
  readonly names: number;
}

/**
 * Bytes per encoded DNS subtree (SEQUENCE { [2] "p1a2b.u" }) and DNS SAN ([2] "n1a2b.t") at
 * the largest sizes (a letter, up to 4 base-36 digits, a one-letter parent).
 */
const SUBTREE_BYTES = 11;
const SAN_BYTES = 9;

/**
 * Name-constraint chains from small to the largest inside the 1 MiB cap, each step with
 * twice the comparisons of the one before (√2 more constraints and √2 more names; at the
 * largest, constraints and names split the bytes evenly, which maximizes their product).
 */
export function nameConstraintSizes(): NameConstraintSize[] {
  const budget = MAX_CHAIN_BYTES - 8 * 1024; // room for the two certificates' other fields
  const constraints = Math.floor(budget / 2 / SUBTREE_BYTES);
  const names = Math.floor(budget / 2 / SAN_BYTES);
  const sizes: NameConstraintSize[] = [];
  for (let shift = 10; shift >= 0; shift -= 0.5) {
    const c = Math.max(2, Math.floor(constraints / 2 ** shift));
    sizes.push({ permitted: Math.ceil(c / 2), excluded: Math.floor(c / 2), names: Math.max(1, Math.floor(names / 2 ** shift)) });
  }
  return sizes;
}

/**
 * (c) An intermediate with many name constraints (permitted: the trust domain as a URI host,
 * `size.permitted - 1` DNS subtrees that match nothing and then "t"; excluded:
 * `size.excluded` DNS subtrees that match nothing) and a leaf with `size.names` DNS SANs
 * under "t": a verifier that compares every name with every constraint makes
 * (permitted + excluded) × names comparisons, and the chain is valid.
 */
export async function nameConstraintChain(root: BenchRoot, size: NameConstraintSize): Promise<HostileChain> {
  const permitted = [...Array.from({ length: size.permitted - 1 }, (_, i) => `p${i.toString(36)}.u`), "t"];
  const excluded = Array.from({ length: size.excluded }, (_, i) => `x${i.toString(36)}.v`);
  const names = Array.from({ length: size.names }, (_, i) => `n${i.toString(36)}.t`);
  const inter = await intermediate(root, "hostile-bench constrained intermediate", [nameConstraints([TRUST_DOMAIN], permitted, excluded)]);
  const leafDer = await leaf(inter, "constrained", [], subjectAltName([`spiffe://${TRUST_DOMAIN}/constrained`], names));
  const constraints = size.permitted + size.excluded;
  return {
    label: "(c) name constraints × SAN DNS names",
    description:
      `intermediate with ${size.permitted + 1} permitted subtrees (1 URI, ${size.permitted} DNS, only the last DNS one matching) and ${size.excluded} excluded DNS subtrees; ` +
      `leaf with ${size.names} DNS SANs + its SPIFFE ID: ${constraints} × ${size.names} = ${(constraints * size.names).toExponential(2)} name comparisons; chain valid`,
    chain: [leafDer, inter.der],
    comparisons: constraints * size.names,
  };
}

/**
 * (d) One leaf of ≈1 MiB (the chain just under the cap): `kind` "extensions" fills it with
 * small distinct non-critical extensions (unknown OIDs under 1.3.6.1.4.1.99999), "san" with
 * one SubjectAltName of DNS names. Validly signed: the whole chain is accepted.
 */
export async function hugeLeafChain(root: BenchRoot, kind: "extensions" | "san"): Promise<HostileChain> {
  const inter = await intermediate(root, "hostile-bench intermediate (huge leaf)");
  const room = MAX_CHAIN_BYTES - inter.der.length - 2048; // the leaf's other fields and signature
  let count: number;
  let itemBytes: number;
  let build: (n: number) => Promise<Bytes>;
  if (kind === "extensions") {
    const ext = (i: number): Bytes => extension(`1.3.6.1.4.1.99999.${i}`, false, NULL);
    itemBytes = ext(1).length; // the smallest; most are 1-2 bytes longer
    build = (n) => leaf(inter, "huge-extensions", Array.from({ length: n }, (_, i) => ext(i + 1)));
  } else {
    itemBytes = SAN_BYTES - 2; // "n0.t" is 6 bytes, "n1a2b.t" 9
    build = (n) =>
      leaf(inter, "huge-san", [], subjectAltName([`spiffe://${TRUST_DOMAIN}/huge-san`], Array.from({ length: n }, (_, i) => `n${i.toString(36)}.t`)));
  }
  count = Math.floor(room / itemBytes);
  let leafDer = await build(count);
  // Too large: drop as many items as the excess holds (each at least itemBytes), and a few more.
  while (leafDer.length + inter.der.length > MAX_CHAIN_BYTES) {
    count -= Math.ceil((leafDer.length + inter.der.length - MAX_CHAIN_BYTES) / itemBytes) + 8;
    leafDer = await build(count);
  }
  return {
    label: kind === "extensions" ? "(d) ≈1 MiB leaf of small extensions" : "(d) ≈1 MiB leaf with one SAN of DNS names",
    description:
      kind === "extensions"
        ? `a ${leafDer.length}-byte leaf with ${count} distinct non-critical unknown extensions (chain ${leafDer.length + inter.der.length} bytes); chain valid`
        : `a ${leafDer.length}-byte leaf whose SubjectAltName holds its SPIFFE ID and ${count} DNS names (chain ${leafDer.length + inter.der.length} bytes); chain valid`,
    chain: [leafDer, inter.der],
  };
}

/** Throws unless `c` is inside verifyX509Svid's input caps. */
export function checkCaps(c: HostileChain): void {
  const bytes = c.chain.reduce((n, d) => n + d.length, 0);
  if (c.chain.length > MAX_CHAIN_CERTIFICATES || bytes > MAX_CHAIN_BYTES) {
    throw new Error(`${c.label}: ${c.chain.length} certificates, ${bytes} bytes: outside the input caps`);
  }
}
