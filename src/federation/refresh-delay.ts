// When a bundle watch polls next (SPIFFE Federation §4.1: at the bundle's refresh hint, five
// minutes when it has none), kept within the caller's bounds.

/** Poll interval when the bundle has no `spiffe_refresh_hint` (the spec's recommendation). */
export const DEFAULT_REFRESH_MS = 5 * 60_000;
/** Default lower bound of the poll interval. */
export const DEFAULT_MIN_REFRESH_MS = 30_000;
/** Default upper bound of the poll interval. */
export const DEFAULT_MAX_REFRESH_MS = 24 * 3_600_000;

/** The delay before the next poll: the hint (seconds) or the default, clamped to [min, max] ms. */
export function refreshDelayMs(refreshHintSeconds: number | undefined, minMs: number, maxMs: number): number {
  const wanted = refreshHintSeconds === undefined ? DEFAULT_REFRESH_MS : refreshHintSeconds * 1000;
  return Math.min(maxMs, Math.max(minMs, wanted));
}
