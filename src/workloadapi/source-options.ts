import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { WorkloadApiClient, type WorkloadApiClientOptions } from "./workload-api-client.ts";
import { isWorkloadApiClientLike, type WorkloadApiClientLike } from "./workload-api-client-like.ts";

/**
 * Options of `X509Source.create`, `JwtSource.create` and `BundleSource.create`: the client
 * options (used when no `client` is given: from `@spiffe-ts/sdk` that needs `transport`, the
 * runtime entries default it) plus how long to wait for the first update.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface SourceOptions extends WorkloadApiClientOptions {
  /**
   * Use this client instead of creating one; the source then does not close it. Any object
   * with the client's methods ({@link WorkloadApiClientLike}) will do.
   */
  readonly client?: WorkloadApiClientLike;
  /**
   * Give up waiting for the first update after this many ms (`ERR_WORKLOAD_API_TIMEOUT`,
   * naming the last problem, e.g. "no identity": the workload is not registered yet).
   * Default: wait until `signal` aborts.
   */
  readonly timeoutMs?: number;
  /** Aborts `create()` while it waits for the first update (`ERR_WORKLOAD_API_ABORTED`). */
  readonly signal?: AbortSignal;
  /** Called for every problem the source recovers from (discarded response, retried stream). */
  readonly onError?: (error: WorkloadApiError) => void;
}

/** The client a source uses, and whether the source owns (closes) it (internal). */
export function sourceClient(options: SourceOptions, what: string): { client: WorkloadApiClientLike; owned: boolean } {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `${what}: options must be an object, got ${describeType(options)}`);
  const { timeoutMs, onError } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new ConfigError("timeoutMs", `${what}: must be a positive number, got ${typeof timeoutMs === "number" ? timeoutMs : describeType(timeoutMs)}`);
  }
  if (onError !== undefined && typeof onError !== "function") throw new ConfigError("onError", `${what}: must be a function, got ${describeType(onError)}`);
  if (options.client !== undefined) {
    if (!isWorkloadApiClientLike(options.client)) {
      throw new ConfigError("client", `${what}: must be a WorkloadApiClient (an object with watchX509Context, watchX509Bundles, watchJwtBundles, fetchJwtSvid and close), got ${describeType(options.client)}`);
    }
    return { client: options.client, owned: false };
  }
  return { client: new WorkloadApiClient(options), owned: true };
}

/**
 * Waits for `ready`, bounded by `timeoutMs` and `signal`; the error names the last problem.
 */
export async function waitForFirst(
  ready: Promise<unknown>,
  what: string,
  options: SourceOptions,
  lastError: () => WorkloadApiError | undefined,
): Promise<void> {
  const { timeoutMs, signal } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const last = (): string => {
    const e = lastError();
    return e ? `; last problem: ${e.code}: ${e.message}` : "";
  };
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => reject(new WorkloadApiError("ERR_WORKLOAD_API_TIMEOUT", `${what}: no update from the Workload API within ${timeoutMs} ms${last()}`, { cause: lastError() })), timeoutMs);
        }
        if (signal) {
          onAbort = () => reject(new WorkloadApiError("ERR_WORKLOAD_API_ABORTED", `${what}: aborted while waiting for the first update${last()}`, { cause: signal.reason }));
          if (signal.aborted) onAbort();
          else signal.addEventListener("abort", onAbort, { once: true });
        }
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
