// Follows the workload's own identity for a server or client: a rotation (a new SVID
// object), its loss (the source has none: the Workload API answered PermissionDenied, or it
// was closed) and its expiry without rotation, and its return. Driven by the source's
// onUpdate and by a short poll, so that a loss is seen within `intervalMs` even when the
// source announces nothing. Internal to src/tls.
import type { X509SvidSource } from "../core/svid/x509/x509-svid-source.ts";
import { type TlsCredentials, usableCredentials } from "./svid-credentials.ts";

/** How often the source is looked at between updates (a loss is seen within this time). */
export const IDENTITY_POLL_MS = 250;

export interface IdentityWatch {
  /** The credentials to use now; undefined while the workload has no usable identity. */
  current(): TlsCredentials | undefined;
  /** Why there are none (undefined while there are). */
  problem(): Error | undefined;
  /** Looks at the source now (as the poll does), e.g. after a dial saw a change first. */
  refresh(): void;
  stop(): void;
}

export interface IdentityWatchOptions {
  readonly now: () => Date;
  /** Called on every change: new credentials, or undefined with the reason when the identity is lost. */
  readonly onChange: (next: TlsCredentials | undefined, problem: Error | undefined) => void;
  readonly intervalMs?: number;
}

/** Starts following `source`. The first state is computed now (no callback for it). */
export function watchIdentity(source: X509SvidSource, options: IdentityWatchOptions): IdentityWatch {
  let credentials: TlsCredentials | undefined;
  let problem: Error | undefined;
  const evaluate = (): void => {
    const next = usableCredentials(source, options.now());
    if (next instanceof Error) {
      problem = next;
      if (credentials === undefined) return;
      credentials = undefined;
      options.onChange(undefined, next);
      return;
    }
    problem = undefined;
    if (next === credentials) return;
    credentials = next;
    options.onChange(next, undefined);
  };
  const first = usableCredentials(source, options.now());
  if (first instanceof Error) problem = first;
  else credentials = first;
  const unsubscribe = typeof source.onUpdate === "function" ? source.onUpdate(() => safely(evaluate)) : () => {};
  const timer = setInterval(() => safely(evaluate), options.intervalMs ?? IDENTITY_POLL_MS);
  (timer as { unref?: () => void }).unref?.();
  return {
    current: () => credentials,
    problem: () => problem,
    refresh: () => safely(evaluate),
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    // a listener's failure must not stop the watch
  }
}
