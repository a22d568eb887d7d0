// The process-wide list of registered SpiffeTrace hooks (internal, but addSpiffeTrace is
// public). Every instrumented call site asks `traces()` first: with nothing registered it
// costs one array-length check and nothing else.
import type { SpiffeTrace } from "./spiffe-trace.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";

/** One registration (its own object, so that removing it removes exactly it). */
export interface Registration {
  readonly trace: SpiffeTrace;
}

let registered: readonly Registration[] = [];

/**
 * Registers `trace` for the whole process (every server, client and source the SDK runs);
 * returns the function that removes it. The same object registered twice is called twice.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example Log every refused peer
 * ```ts
 * import { addSpiffeTrace } from "@spiffe-ts/sdk";
 * const remove = addSpiffeTrace({ handshakeRefused: (info) => console.warn("refused", info.code, info.remoteAddress) });
 * // later: remove();
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"trace"`) when `trace` is not an object.
 */
export function addSpiffeTrace(trace: SpiffeTrace): () => void {
  if (typeof trace !== "object" || trace === null) throw new InvalidArgumentError("trace", `addSpiffeTrace needs an object of callbacks, got ${describeType(trace)}`);
  const entry: Registration = { trace };
  registered = [...registered, entry];
  return () => {
    registered = registered.filter((t) => t !== entry);
  };
}

/** The registrations now (internal); an empty array when nobody observes. */
export function traces(): readonly Registration[] {
  return registered;
}

/** Calls `f`, ignoring what it throws: a failing hook never breaks a handshake or a watch (internal). */
export function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
