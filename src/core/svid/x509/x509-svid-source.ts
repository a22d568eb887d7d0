import type { X509Svid } from "./x509-svid.ts";

/**
 * Anything that holds the workload's current X.509-SVID: an `X509Source` (live, from the
 * Workload API), or a fixed SVID in tests. `getX509Svid()` throws when there is none.
 *
 * Servers and clients also subscribe through `onUpdate`, when present, to pick up
 * rotations without a restart; a source without it is treated as static.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface X509SvidSource {
  /** The current default X.509-SVID. */
  getX509Svid(): X509Svid;
  /** Calls `listener` after every accepted update; returns the unsubscribe function. */
  onUpdate?(listener: () => void): () => void;
}
