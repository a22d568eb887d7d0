// Bench: JwtSvid.parseAndValidate on an ES256 JWT-SVID, next to a baseline measured in the
// same process: jose's jwtVerify on the same token with the same key (imported once as a
// CryptoKey), checking the audience and the algorithm.
// Run: `node bench/jwt.ts`, `bun bench/jwt.ts`, `deno run -A bench/jwt.ts`.
// Prints `BENCH_RESULT {json}` lines (collected by bench/run.mjs) and `BENCH_NOTE` lines.
import { importJWK, jwtVerify } from "jose";
import { JwtSvid } from "../mod.ts";
import { createTestCa } from "../src/testing/mod.ts";
import { median, rate } from "./_stats.ts";

const TARGET = 0.95;
const ROUNDS = 15;
const ROUND_MS = 200;
const AUD = "spiffe://example.org/api";

const ca = await createTestCa({ trustDomain: "example.org" }); // ES256 JWT key
const { token, keyId } = await ca.issueJwtSvid({ id: "spiffe://example.org/web", audience: AUD, ttlMs: 3600_000 });
const bundle = ca.jwtBundle;
const jwk = bundle.findKey(keyId)!;
const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, "ES256");

async function ours(): Promise<void> {
  await JwtSvid.parseAndValidate(token, bundle, AUD);
}

async function baseline(): Promise<void> {
  await jwtVerify(token, key, { audience: AUD, algorithms: ["ES256"] });
}

await rate(ours, 300);
await rate(baseline, 300);
// Short interleaved rounds, alternating which goes first; the ratio is the median of the
// per-round ratios, so that the noise of a shared machine hits both sides of each pair alike.
const values: number[] = [];
const bases: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  let v: number;
  let b: number;
  if (r % 2 === 0) {
    v = await rate(ours, ROUND_MS);
    b = await rate(baseline, ROUND_MS);
  } else {
    b = await rate(baseline, ROUND_MS);
    v = await rate(ours, ROUND_MS);
  }
  values.push(v);
  bases.push(b);
  ratios.push(v / b);
}
const value = median(values);
const base = median(bases);
const ratio = median(ratios);
console.log(
  `BENCH_RESULT ${JSON.stringify({
    bench: "jwt",
    name: "JwtSvid.parseAndValidate (ES256)",
    unit: "ops/s",
    value: Math.round(value),
    baselineName: "jose jwtVerify",
    baseline: Math.round(base),
    ratio: Math.round(ratio * 100) / 100,
    target: TARGET,
  })}`,
);
// Where the time goes: our part (parsing and the SPIFFE rules, measured as parseInsecure) and
// the one Web Crypto ECDSA verify that parseAndValidate runs over the already-decoded parts.
const parse = median([await rate(() => void JwtSvid.parseInsecure(token), 300), await rate(() => void JwtSvid.parseInsecure(token), 300)]);
const [h, p, sig] = token.split(".") as [string, string, string];
const signature = Uint8Array.from(atob(sig.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const signingInput = new TextEncoder().encode(`${h}.${p}`);
const cryptoKey = key as CryptoKey;
const verifyOnly = median([
  await rate(async () => void (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, cryptoKey, signature, signingInput)), 300),
  await rate(async () => void (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, cryptoKey, signature, signingInput)), 300),
]);
const ms = (opsPerSecond: number): string => `${(1000 / opsPerSecond).toFixed(4)} ms`;
console.log(
  `BENCH_NOTE per call: parseAndValidate ${ms(value)}, jose jwtVerify ${ms(base)}; inside parseAndValidate: our parsing and SPIFFE rules ${ms(parse)} ` +
    `(three strict base64url decodes, two JSON parses, the SpiffeId parse of sub, deep-freezing the claims), one crypto.subtle.verify ${ms(verifyOnly)} ` +
    "over the header and payload already decoded (jose's compactVerify, used before, decoded them again). The imported CryptoKey is cached per bundle key object and algorithm, " +
    "so no key import happens per call; a bundle update brings new key objects, so a removed key is never used again. Ratio = median of 15 paired rounds.",
);
