// Seeded random mutations of real JWKS / SPIFFE bundle documents: the parsers must either
// return a bundle or throw a SpiffeError, never anything else.
import { describe, expect, test } from "bun:test";
import { JwtBundle, SpiffeBundle, SpiffeError } from "../../../mod.ts";
import { createCa } from "../../support/test-pki.ts";
import { prng } from "../../support/prng.ts";
function b64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function exportPublic(alg: EcKeyGenParams | RsaHashedKeyGenParams): Promise<Record<string, unknown>> {
  const pair = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  return (await crypto.subtle.exportKey("jwk", pair.publicKey)) as Record<string, unknown>;
}

const ecCa = await createCa({ trustDomain: "example.org" });
const rsaCa = await createCa({ trustDomain: "example.org", keyAlg: "RSA-2048" });
const ecJwk = await exportPublic({ name: "ECDSA", namedCurve: "P-384" });
const rsaJwk = await exportPublic({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" });
const base = {
  spiffe_sequence: 7,
  spiffe_refresh_hint: 300,
  keys: [
    { kty: "EC", use: "x509-svid", x5c: [b64(ecCa.der)] },
    { kty: "RSA", use: "x509-svid", x5c: [b64(rsaCa.der)] },
    { kty: "EC", use: "jwt-svid", kid: "ec", crv: ecJwk["crv"], x: ecJwk["x"], y: ecJwk["y"] },
    { kty: "RSA", use: "jwt-svid", kid: "rsa", n: rsaJwk["n"], e: rsaJwk["e"], alg: "RS256" },
    { kty: "OKP", use: "jwt-svid", kid: "ed", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
  ],
};
const baseText = JSON.stringify(base);
const VALUES: unknown[] = [null, true, 0, -1, 1.5, 2 ** 64, "", "x", "AQAB", "AA==", "-_", [], [""], {}, { kty: "EC" }, "jwt-svid", "x509-svid", "EC", "RSA", "oct", "OKP", "P-256", "d", ["verify"], "A".repeat(5000)];
const NAMES = ["kty", "use", "kid", "crv", "x", "y", "n", "e", "d", "k", "alg", "key_ops", "x5c", "keys", "spiffe_sequence", "spiffe_refresh_hint", "__proto__", "p"];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** Replaces, deletes or adds one member somewhere in a deep copy of the document. */
function mutateStructure(rand: () => number): unknown {
  const doc = JSON.parse(baseText) as Record<string, unknown>;
  const steps = 1 + Math.floor(rand() * 3);
  for (let s = 0; s < steps; s++) {
    const keys = doc["keys"];
    const target: Record<string, unknown> | unknown[] =
      Array.isArray(keys) && keys.length > 0 && rand() < 0.8 && typeof keys[0] === "object" && keys[0] !== null
        ? (pick(rand, keys) as Record<string, unknown>) ?? doc
        : doc;
    if (typeof target !== "object" || target === null) continue;
    const name = rand() < 0.6 ? pick(rand, Object.keys(target)) ?? pick(rand, NAMES) : pick(rand, NAMES);
    const r = rand();
    if (r < 0.2) delete (target as Record<string, unknown>)[name];
    else if (r < 0.9) (target as Record<string, unknown>)[name] = pick(rand, VALUES);
    else if (Array.isArray(keys)) keys.push(pick(rand, VALUES));
  }
  return doc;
}

/** Deletes, inserts, replaces or truncates characters of the JSON text. */
function mutateText(rand: () => number): string {
  let text = baseText;
  const edits = 1 + Math.floor(rand() * 4);
  const alphabet = '{}[]":,0123456789-eE.tfnulAZaz_+/= \\';
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * text.length);
    const r = rand();
    if (r < 0.3) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 20));
    else if (r < 0.6) text = text.slice(0, at) + pick(rand, [...alphabet]) + text.slice(at);
    else if (r < 0.9) text = text.slice(0, at) + pick(rand, [...alphabet]) + text.slice(at + 1);
    else text = text.slice(0, at);
  }
  return text;
}

/** Flips random bits of the UTF-8 bytes. */
function mutateBytes(rand: () => number): Uint8Array {
  const bytes = new TextEncoder().encode(baseText);
  const flips = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)]! ^= 1 << Math.floor(rand() * 8);
  return bytes;
}

function outcome(fn: () => unknown): "ok" | "spiffe-error" | string {
  try {
    fn();
    return "ok";
  } catch (err) {
    return err instanceof SpiffeError ? "spiffe-error" : `unexpected ${String(err)}`;
  }
}

describe("bundle parsers under mutated input (seeded)", () => {
  test("the base document parses", () => {
    expect(SpiffeBundle.parse("example.org", baseText).x509Authorities.length).toBe(2);
    expect(JwtBundle.parse("example.org", baseText).keys.length).toBe(2);
  });

  const kinds: Array<[string, (rand: () => number) => unknown]> = [
    ["structural mutations", mutateStructure],
    ["text mutations", mutateText],
    ["bit flips in bytes", mutateBytes],
  ];
  for (const [kind, mutate] of kinds) {
    test(`${kind}: only SpiffeErrors come out`, () => {
      const rand = prng(0x5eed + kind.length);
      const seen = new Map<string, number>();
      for (let i = 0; i < 600; i++) {
        const input = mutate(rand);
        for (const parse of [() => SpiffeBundle.parse("example.org", input as string), () => JwtBundle.parse("example.org", input as string)]) {
          const result = outcome(parse);
          seen.set(result, (seen.get(result) ?? 0) + 1);
          if (result !== "ok" && result !== "spiffe-error") {
            throw new Error(`iteration ${i}: ${result} for input ${JSON.stringify(input).slice(0, 300)}`);
          }
        }
      }
      // The mutations exercise both outcomes (a fuzz test that only ever fails is no test).
      expect(seen.get("spiffe-error") ?? 0).toBeGreaterThan(50);
      expect(seen.get("ok") ?? 0).toBeGreaterThan(kind === "bit flips in bytes" ? 0 : 50);
    });
  }
});
