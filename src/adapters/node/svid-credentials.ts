import type { X509Svid } from "../../core/svid/x509/x509-svid.ts";
import type { X509SvidSource } from "../../core/svid/x509/x509-svid-source.ts";

/** The key and certificate chain (leaf first) that `node:tls` presents. */
export interface TlsCredentials {
  readonly svid: X509Svid;
  readonly key: string;
  readonly cert: string;
}

// PEM encoding per SVID object (immutable): clients and servers created for the same SVID share it.
const encoded = new WeakMap<X509Svid, TlsCredentials>();

/** PEM credentials of the source's current SVID. Throws the source's error when it has none. */
export function credentialsOf(source: X509SvidSource): TlsCredentials {
  const svid = source.getX509Svid();
  let credentials = encoded.get(svid);
  if (!credentials) {
    const pem = svid.toPem();
    credentials = Object.freeze({ svid, key: pem.privateKey, cert: pem.certificates });
    encoded.set(svid, credentials);
  }
  return credentials;
}

/**
 * Calls `onChange` with fresh credentials whenever the source's SVID changes (a new
 * `X509Svid` object), using the source's `onUpdate` when it has one. Returns the
 * unsubscribe function.
 */
export function watchCredentials(source: X509SvidSource, current: () => X509Svid, onChange: (c: TlsCredentials) => void, onError: (err: unknown) => void): () => void {
  if (typeof source.onUpdate !== "function") return () => {};
  return source.onUpdate(() => {
    try {
      if (source.getX509Svid() !== current()) onChange(credentialsOf(source));
    } catch (err) {
      onError(err); // no SVID right now: keep presenting the last one until a new one arrives
    }
  });
}
