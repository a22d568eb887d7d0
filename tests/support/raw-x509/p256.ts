// The NIST P-256 curve (FIPS 186-4 D.1.2.3) in BigInt: enough to derive a public key from a
// seeded private scalar (deterministic test keys), to check points, and to write explicit
// curve parameters. Not constant time; tests only.
import { modPow } from "./bigint.ts";

/** P-256 domain parameters. */
export const P256 = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
} as const;

const { p } = P256;
const mod = (x: bigint): bigint => ((x % p) + p) % p;

type Jacobian = [bigint, bigint, bigint];

function double([x, y, z]: Jacobian): Jacobian {
  if (y === 0n || z === 0n) return [0n, 1n, 0n];
  const y2 = mod(y * y);
  const s = mod(4n * x * y2);
  const z2 = mod(z * z);
  const m = mod(3n * (x - z2) * (x + z2)); // a = -3
  const x3 = mod(m * m - 2n * s);
  return [x3, mod(m * (s - x3) - 8n * y2 * y2), mod(2n * y * z)];
}

function add(P: Jacobian, Q: Jacobian): Jacobian {
  if (P[2] === 0n) return Q;
  if (Q[2] === 0n) return P;
  const z1z1 = mod(P[2] * P[2]);
  const z2z2 = mod(Q[2] * Q[2]);
  const u1 = mod(P[0] * z2z2);
  const u2 = mod(Q[0] * z1z1);
  const s1 = mod(P[1] * Q[2] * z2z2);
  const s2 = mod(Q[1] * P[2] * z1z1);
  if (u1 === u2) return s1 === s2 ? double(P) : [0n, 1n, 0n];
  const h = mod(u2 - u1);
  const r = mod(s2 - s1);
  const h2 = mod(h * h);
  const h3 = mod(h * h2);
  const x3 = mod(r * r - h3 - 2n * u1 * h2);
  return [x3, mod(r * (u1 * h2 - x3) - s1 * h3), mod(h * P[2] * Q[2])];
}

/** k·G on P-256, affine. */
export function p256PublicPoint(k: bigint): { x: bigint; y: bigint } {
  let R: Jacobian = [0n, 1n, 0n];
  let A: Jacobian = [P256.gx, P256.gy, 1n];
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) R = add(R, A);
    A = double(A);
  }
  const zi = modPow(R[2], p - 2n, p);
  const zi2 = mod(zi * zi);
  return { x: mod(R[0] * zi2), y: mod(R[1] * zi2 * zi) };
}
