import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import type { JwtSvid } from "../core/svid/jwt/jwt-svid.ts";
import type { FetchJwtSvidOptions, WorkloadApiWatchOptions } from "./workload-api-client.ts";
import type { X509Context } from "./x509-context.ts";

/**
 * What `X509Source`, `JwtSource` and `BundleSource` use of a Workload API client: any object
 * with these methods (a `WorkloadApiClient`, a client from another copy of the SDK, or an
 * in-memory fake in tests) can be passed as their `client` option. The methods behave as
 * those of `WorkloadApiClient`: a watch yields the current value first, then each change,
 * reports the problems it recovers from through `onError` (`ERR_WORKLOAD_API_PERMISSION_DENIED`
 * means the agent took the identity away), throws the fatal ones, and ends when `signal`
 * aborts or the client closes.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 *
 * @example A source over a client you build yourself
 * ```ts
 * import { type WorkloadApiClientLike, X509Source } from "@spiffe-ts/sdk";
 * declare const client: WorkloadApiClientLike;
 * const source = await X509Source.create({ client });
 * ```
 */
export interface WorkloadApiClientLike {
  /** The workload's X.509 context (SVIDs and bundles), once now and on every change. */
  watchX509Context(options: WorkloadApiWatchOptions): AsyncIterable<X509Context>;
  /** The X.509 bundles by trust domain name, once now and on every change. */
  watchX509Bundles(options: WorkloadApiWatchOptions): AsyncIterable<ReadonlyMap<string, X509Bundle>>;
  /** The JWT bundles by trust domain name, once now and on every change. */
  watchJwtBundles(options: WorkloadApiWatchOptions): AsyncIterable<ReadonlyMap<string, JwtBundle>>;
  /** A JWT-SVID for the given audience (and subject, if any). */
  fetchJwtSvid(options: FetchJwtSvidOptions): Promise<JwtSvid>;
  /** Releases the connection; the sources call it only for clients they created. */
  close(): Promise<void>;
}

const METHODS = ["watchX509Context", "watchX509Bundles", "watchJwtBundles", "fetchJwtSvid", "close"] as const;

/** True when `value` has every method of {@link WorkloadApiClientLike} (a structural check, so it holds across copies of the SDK). */
export function isWorkloadApiClientLike(value: unknown): value is WorkloadApiClientLike {
  if (typeof value !== "object" || value === null) return false;
  const methods = value as Record<(typeof METHODS)[number], unknown>;
  return METHODS.every((m) => typeof methods[m] === "function");
}
