// The workload's own X.509-SVID as node:tls credentials (PEM key and chain), and whether the
// source has a usable one right now. Internal to src/tls.
import { X509SvidError } from "../core/errors/x509-svid-error.ts";
import type { X509Svid } from "../core/svid/x509/x509-svid.ts";
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";

/**
 * The key and certificate chain (leaf first) that `node:tls` presents.
 *
 * Exported (as a type) from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface TlsCredentials {
  /** The X.509-SVID they come from. */
  readonly svid: X509Svid;
  /** Its private key, PEM. */
  readonly key: string;
  /** Its certificate chain, PEM, leaf first. */
  readonly cert: string;
}

// PEM encoding per SVID object (immutable): every server and client of the process shares it.
const encoded = new WeakMap<X509Svid, TlsCredentials>();

/** PEM credentials of the source's current SVID. Throws the source's error when it has none. */
export function credentialsOf(source: X509SvidSource): TlsCredentials {
  return credentialsOfSvid(source.getX509Svid());
}

function credentialsOfSvid(svid: X509Svid): TlsCredentials {
  let credentials = encoded.get(svid);
  if (!credentials) {
    const pem = svid.toPem();
    credentials = Object.freeze({ svid, key: pem.privateKey, cert: pem.certificates });
    encoded.set(svid, credentials);
  }
  return credentials;
}

/**
 * The credentials of the source's current SVID when it has one that is valid at `now`;
 * otherwise the error that says why not: the source's own (e.g. the Workload API denied
 * this workload an identity) or `ERR_X509_SVID_EXPIRED` when no rotation came in time.
 */
export function usableCredentials(source: X509SvidSource, now: Date): TlsCredentials | Error {
  let svid: X509Svid;
  try {
    svid = source.getX509Svid();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
  if (svid.expiresAt.getTime() <= now.getTime()) {
    return new X509SvidError(
      "ERR_X509_SVID_EXPIRED",
      `the workload's own X.509-SVID (${svid.id}, serial ${svid.serialNumber}) expired at ${svid.expiresAt.toISOString()} and the source has no newer one`,
    );
  }
  return credentialsOfSvid(svid);
}
