import type { ClientTlsConfig } from "../../../tls/client-tls.ts";

/** What {@link onRotation} follows of a client's source: its update events, when it has them. */
export interface RotatingSource {
  onUpdate?(listener: () => void): () => void;
}

/**
 * Calls `listener` when a client's pooled connections stop matching its identity or trust:
 * the client's own SVID rotated or was lost (`tls.onCredentialsChange`), or the source
 * announced an update, which may have changed the bundles its servers were verified with
 * (modes `"mtls"` and `"tls"`; an `X509Source` announces every update of its X.509 context).
 * One change often arrives both ways in the same turn: the listener runs at once for the
 * first, and not again until a microtask later. Returns the unsubscribe function.
 */
export function onRotation(tls: ClientTlsConfig, source: RotatingSource | object, listener: () => void): () => void {
  let justCalled = false;
  const changed = (): void => {
    if (justCalled) return;
    justCalled = true;
    queueMicrotask(() => (justCalled = false));
    listener();
  };
  const stopCredentials = tls.onCredentialsChange(changed);
  // Any source may be given (a bundle-only source of mode "tls" declares no onUpdate): follow it when it has one.
  const { onUpdate } = source as RotatingSource;
  const stopUpdates = tls.mode !== "mtls-web" && typeof onUpdate === "function" ? onUpdate.call(source, changed) : undefined;
  return () => {
    stopCredentials();
    stopUpdates?.();
  };
}
