// A cheap digest of byte strings for in-memory caches keyed by exact bytes. Not exported
// from the package.

/**
 * Two 32-bit FNV-1a variants over each part and its length, folded into one integer below
 * 2^53 (a fast Map key: no string is built). Not cryptographic: only an index for a cache
 * whose hits also compare the exact bytes, so a collision costs a miss, never a wrong answer.
 */
export function bytesDigest(parts: readonly Uint8Array[]): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let p = 0; p < parts.length; p++) {
    const c = parts[p]!;
    const n = c.byteLength;
    a = Math.imul(a ^ n, 0x01000193);
    b = Math.imul(b ^ n, 0x01000193);
    for (let i = 0; i < n; i++) {
      const x = c[i]!;
      a = Math.imul(a ^ x, 0x01000193);
      b = Math.imul((b ^ x) + i, 0x01000193);
    }
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}
