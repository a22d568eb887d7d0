// Seeded, deterministic randomized inputs for the parsers and the verifier: random and
// mutated strings and bytes (bit flips, truncations, insertions, deletions, DER length
// tampering, wrong JS types). Only SpiffeError subclasses may come out, and a mutated chain
// is never accepted unless the certificates that were verified are the original ones.
import { beforeAll, describe, expect, test } from "bun:test";
import { X509Bundle } from "../../src/core/bundle/x509-bundle.ts";
import { SpiffeError } from "../../src/core/errors/spiffe-error.ts";
import { SpiffeId } from "../../src/core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../../src/core/spiffeid/trust-domain.ts";
import { verifyX509Svid } from "../../src/core/svid/x509/verify-x509-svid.ts";
import { X509Svid } from "../../src/core/svid/x509/x509-svid.ts";
import { concatBytes, createCa, issueLeaf, type TestCa, type TestCert } from "../support/test-pki.ts";
import { prng } from "../support/prng.ts";

const SEED = 0x5eed_2024;
class Fuzzer {
  readonly rand: () => number;
  constructor(seed: number) {
    this.rand = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  randomBytes(max: number): Uint8Array {
    const out = new Uint8Array(this.int(max + 1));
    for (let i = 0; i < out.length; i++) out[i] = this.int(256);
    if (out.length > 0 && this.rand() < 0.5) out[0] = 0x30; // look like a SEQUENCE more often
    return out;
  }

  mutateBytes(input: Uint8Array): Uint8Array {
    let b = input.slice();
    const ops = 1 + this.int(3);
    for (let k = 0; k < ops; k++) {
      const pos = this.int(Math.max(b.length, 1));
      switch (this.int(8)) {
        case 0: // bit flip
          if (b.length) b[pos]! ^= 1 << this.int(8);
          break;
        case 1: // truncate
          b = b.slice(0, pos);
          break;
        case 2: // insert random bytes
          b = concatBytes(b.subarray(0, pos), this.randomBytes(8), b.subarray(pos));
          break;
        case 3: // delete a range
          b = concatBytes(b.subarray(0, pos), b.subarray(pos + 1 + this.int(16)));
          break;
        case 4: // replace a byte
          if (b.length) b[pos] = this.int(256);
          break;
        case 5: // tamper with a DER length byte
          if (b.length > 1) b[1 + this.int(Math.min(b.length - 1, 8))] = this.pick([0x00, 0x7f, 0x80, 0x81, 0x84, 0xff]);
          break;
        case 6: // duplicate a segment
          b = concatBytes(b, b.subarray(pos, pos + this.int(64)));
          break;
        default: // flip a byte anywhere in the last 80 bytes (signature area)
          if (b.length) b[Math.max(0, b.length - 1 - this.int(80))]! ^= 1 + this.int(255);
      }
    }
    return b;
  }

  randomString(max: number): string {
    const pool = ["spiffe://", "/", ".", "..", "%", "%2F", ":", "@", "?", "#", "-", "_", "a", "Z", "0", "example.org", " ", "é", "\u0000", "\n", "//", "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----", "MII", "=", "+"];
    let s = "";
    const n = this.int(max + 1);
    for (let i = 0; i < n; i++) s += this.rand() < 0.6 ? this.pick(pool) : String.fromCharCode(this.int(0x250));
    return s;
  }

  mutateString(input: string): string {
    let s = input;
    const ops = 1 + this.int(3);
    for (let k = 0; k < ops; k++) {
      const pos = this.int(s.length + 1);
      switch (this.int(5)) {
        case 0:
          s = s.slice(0, pos) + this.randomString(3) + s.slice(pos);
          break;
        case 1:
          s = s.slice(0, pos) + s.slice(pos + 1 + this.int(8));
          break;
        case 2:
          s = s.slice(0, pos);
          break;
        case 3:
          s = s.slice(0, pos) + String.fromCharCode(this.int(128)) + s.slice(pos + 1);
          break;
        default:
          s = s.slice(0, pos) + s.slice(pos).toUpperCase();
      }
    }
    return s;
  }
}

const WRONG_TYPES: readonly unknown[] = [
  undefined,
  null,
  0,
  -1.5,
  Number.NaN,
  10n,
  true,
  Symbol("x"),
  {},
  [],
  [1, 2],
  () => "spiffe://example.org/x",
  new Date(0),
  new ArrayBuffer(4),
  new DataView(new ArrayBuffer(4)),
  new Uint16Array([0x3082, 1]),
  Object.create(null),
  { toString: () => "spiffe://example.org/x" },
];

/** Runs `fn`; returns a description of any thrown value that is not a SpiffeError. */
function badThrow(err: unknown, what: string): string | undefined {
  if (err instanceof SpiffeError) return undefined;
  return `${what}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : typeof err}`;
}

function sync(fn: () => unknown, what: string, failures: string[]): void {
  try {
    fn();
  } catch (err) {
    const bad = badThrow(err, what);
    if (bad) failures.push(bad);
  }
}

async function settle(fn: () => Promise<unknown>, what: string, failures: string[]): Promise<unknown> {
  try {
    return await fn();
  } catch (err) {
    const bad = badThrow(err, what);
    if (bad) failures.push(bad);
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

let root: TestCa;
let inter: TestCa;
let leaf: TestCert;
let bundle: X509Bundle;

beforeAll(async () => {
  root = await createCa({ trustDomain: "example.org" });
  inter = await createCa({ parent: root });
  leaf = await issueLeaf(inter, { dnsSans: ["web.example.org"] });
  bundle = X509Bundle.parse("example.org", root.pem);
});

describe("fuzz: only SpiffeErrors come out", () => {
  test("SpiffeId.parse and TrustDomain.parse: 6000 random and mutated strings, and wrong types", () => {
    const f = new Fuzzer(SEED);
    const failures: string[] = [];
    const valid = ["spiffe://example.org/ns/prod/sa/web", "spiffe://example.org", "spiffe://a-b.c_d/x.y/z", "example.org"];
    for (let i = 0; i < 6000; i++) {
      const input = i % 3 === 0 ? f.randomString(40) : f.mutateString(f.pick(valid));
      sync(() => SpiffeId.parse(input), `SpiffeId.parse #${i}`, failures);
      sync(() => SpiffeId.canParse(input), `SpiffeId.canParse #${i}`, failures);
      sync(() => TrustDomain.parse(input), `TrustDomain.parse #${i}`, failures);
      sync(() => SpiffeId.fromPath("example.org", input), `SpiffeId.fromPath #${i}`, failures);
    }
    sync(() => SpiffeId.parse(`spiffe://example.org/${"a".repeat(3000)}`), "long id", failures);
    for (const [i, value] of WRONG_TYPES.entries()) {
      sync(() => SpiffeId.parse(value as string), `SpiffeId.parse(wrong type ${i})`, failures);
      sync(() => TrustDomain.parse(value as string), `TrustDomain.parse(wrong type ${i})`, failures);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  test("X509Bundle.parse: 3000 random and mutated PEM/DER inputs, and wrong types", () => {
    const f = new Fuzzer(SEED + 1);
    const failures: string[] = [];
    const der = concatBytes(root.der, inter.der);
    const pem = root.pem + inter.pem;
    for (let i = 0; i < 3000; i++) {
      const input: string | Uint8Array = [
        () => f.randomBytes(64),
        () => f.mutateBytes(der),
        () => f.mutateString(pem),
        () => f.randomString(60),
      ][i % 4]!();
      sync(() => X509Bundle.parse("example.org", input), `X509Bundle.parse #${i}`, failures);
    }
    for (const [i, value] of WRONG_TYPES.entries()) {
      sync(() => X509Bundle.parse("example.org", value as string), `X509Bundle.parse(wrong type ${i})`, failures);
      sync(() => X509Bundle.parse(value as string, root.pem), `X509Bundle.parse(td wrong type ${i})`, failures);
      sync(() => X509Bundle.fromCertificates("example.org", value as string[]), `fromCertificates(wrong type ${i})`, failures);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  test("X509Svid.parse: 1500 mutated chains and keys, and wrong types", async () => {
    const f = new Fuzzer(SEED + 2);
    const failures: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const mutateKey = i % 3 === 0;
      const certs: string | Uint8Array | Uint8Array[] = mutateKey
        ? [leaf.der, inter.der]
        : f.pick([() => f.mutateBytes(concatBytes(leaf.der, inter.der)), () => f.mutateString(leaf.pem + inter.pem), () => [f.mutateBytes(leaf.der), inter.der]])();
      const key: string | Uint8Array = mutateKey ? (i % 2 ? f.mutateBytes(leaf.privateKey) : f.mutateString(leaf.privateKeyPem)) : leaf.privateKey;
      await settle(() => X509Svid.parse(certs, key), `X509Svid.parse #${i}`, failures);
    }
    for (const [i, value] of WRONG_TYPES.entries()) {
      await settle(() => X509Svid.parse(value as string, leaf.privateKey), `X509Svid.parse(wrong type ${i})`, failures);
      await settle(() => X509Svid.parse(leaf.der, value as string), `X509Svid.parse(key wrong type ${i})`, failures);
      await settle(() => X509Svid.parse(leaf.der, leaf.privateKey, value as { hint?: string }), `X509Svid.parse(options wrong type ${i})`, failures);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  test("verifyX509Svid: 3000 mutated chains are rejected with SpiffeErrors (or verify the original certificates)", async () => {
    const f = new Fuzzer(SEED + 3);
    const failures: string[] = [];
    const originals = [leaf.der, inter.der, root.der];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const chain: string | Uint8Array | Uint8Array[] = [
        () => [f.mutateBytes(leaf.der), inter.der],
        () => [leaf.der, f.mutateBytes(inter.der)],
        () => f.mutateBytes(concatBytes(leaf.der, inter.der)),
        () => f.mutateString(leaf.pem + inter.pem),
        () => [leaf.der, inter.der, f.mutateBytes(root.der)],
        () => [f.randomBytes(200), inter.der],
      ][i % 6]!();
      const result = await settle(() => verifyX509Svid(chain, bundle), `verifyX509Svid #${i}`, failures);
      if (result) {
        accepted++;
        const { verifiedChain } = result as { verifiedChain: Uint8Array[] };
        if (verifiedChain.length !== 3 || !verifiedChain.every((c, k) => sameBytes(c, originals[k]!))) {
          failures.push(`verifyX509Svid #${i}: accepted a chain with modified certificates`);
        }
      }
    }
    for (const [i, value] of WRONG_TYPES.entries()) {
      await settle(() => verifyX509Svid(value as string, bundle), `verifyX509Svid(wrong type ${i})`, failures);
      await settle(() => verifyX509Svid([leaf.der, inter.der], value as X509Bundle), `verifyX509Svid(source wrong type ${i})`, failures);
      await settle(() => verifyX509Svid([leaf.der, inter.der], bundle, value as { now?: Date }), `verifyX509Svid(options wrong type ${i})`, failures);
      await settle(() => verifyX509Svid([leaf.der, value as Uint8Array], bundle), `verifyX509Svid(item wrong type ${i})`, failures);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // Mutations of the extra peer-sent root, and no-op mutations, may still verify; most must not.
    expect(accepted).toBeLessThan(1000);
  });
});
