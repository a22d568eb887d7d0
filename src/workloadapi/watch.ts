// The reconnecting stream loop shared by every watch: retries with backoff on anything but
// fatal errors, discards bad responses, and skips identical consecutive updates.
import { WorkloadApiError, type WorkloadApiErrorCode } from "../core/errors/workload-api-error.ts";
import { type BackoffOptions, createBackoff } from "./backoff.ts";
import { reportStreamError, reportUpdateRefused, reportWatchUpdate } from "../observability/workload-api-events.ts";
import type { RateLimitedLogger } from "./logger.ts";
import { type OpenTransport, toWorkloadApiError } from "./workload-api-transport.ts";

/** What a watch reports (internal): a new value, or a problem (with whether it retries). */
export type WatchEvent<T> =
  | { readonly kind: "update"; readonly value: T }
  | { readonly kind: "error"; readonly error: WorkloadApiError; readonly retrying: boolean };

/** One streaming RPC, seen by the loop (internal). */
export interface WatchSpec<R, T> {
  /** gRPC method name, for messages. */
  readonly method: string;
  open(signal: AbortSignal): AsyncIterable<R>;
  /** Whether two responses carry the same content (the second is then no update). */
  same(a: R, b: R): boolean;
  /** Validates and converts; throws `ERR_WORKLOAD_API_BAD_RESPONSE` to discard. */
  convert(response: R): Promise<T> | T;
}

/** Errors after which retrying cannot help: reported, then the watch ends. */
const FATAL: ReadonlySet<WorkloadApiErrorCode> = new Set([
  "ERR_WORKLOAD_API_INVALID_ARGUMENT",
  "ERR_WORKLOAD_API_RUNTIME_PERMISSION",
]);

/**
 * Runs the watch loop until `signal` aborts (then it ends quietly) or a fatal error (yielded
 * with `retrying: false`, then it ends).
 */
export async function* watchEvents<R, T>(
  spec: WatchSpec<R, T>,
  connection: Pick<OpenTransport, "endpoint" | "address">,
  signal: AbortSignal,
  backoffOptions: BackoffOptions | undefined,
  log: RateLimitedLogger,
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const backoff = createBackoff(backoffOptions);
  let lastSeen: R | undefined;
  let lastEmitted: R | undefined;
  let attempt = 0;
  while (!signal.aborted) {
    let error: WorkloadApiError;
    attempt += 1;
    try {
      for await (const response of spec.open(signal)) {
        if (lastSeen !== undefined && spec.same(response, lastSeen)) {
          backoff.reset();
          continue;
        }
        lastSeen = response;
        let value: T;
        try {
          value = await spec.convert(response);
        } catch (err) {
          const e = err instanceof WorkloadApiError ? err : toWorkloadApiError(err, spec.method, connection, false);
          log.log("warn", `${spec.method}:bad:${e.message}`, "Workload API response discarded", { method: spec.method, code: e.code, reason: e.message, endpoint: connection.endpoint });
          reportUpdateRefused(spec.method, e, connection.endpoint);
          yield { kind: "error", error: e, retrying: true };
          continue;
        }
        backoff.reset();
        attempt = 0;
        if (lastEmitted !== undefined && spec.same(response, lastEmitted)) continue;
        lastEmitted = response;
        reportWatchUpdate(spec.method, value, connection.endpoint);
        yield { kind: "update", value };
      }
      if (signal.aborted) return;
      error = new WorkloadApiError("ERR_WORKLOAD_API_UNAVAILABLE", `${spec.method}: the Workload API at ${connection.endpoint} ended the stream`);
    } catch (err) {
      if (signal.aborted) return;
      error = toWorkloadApiError(err, spec.method, connection, false);
    }
    if (error.code === "ERR_WORKLOAD_API_PERMISSION_DENIED") {
      // the agent took the identity away: whatever comes next is new, even if identical to before
      lastSeen = undefined;
      lastEmitted = undefined;
    }
    const fatal = FATAL.has(error.code);
    const delay = fatal ? 0 : backoff.next();
    log.log(fatal ? "error" : "warn", `${spec.method}:${error.code}:${error.message}`, fatal ? "Workload API watch stopped" : "Workload API watch failed; retrying", {
      method: spec.method,
      code: error.code,
      grpcStatus: error.grpcStatus,
      reason: error.message,
      endpoint: connection.endpoint,
      attempt,
      ...(fatal ? {} : { retryInMs: delay }),
    });
    reportStreamError(spec.method, error, !fatal, connection.endpoint);
    yield { kind: "error", error, retrying: !fatal };
    if (fatal) return;
    if (!(await sleep(delay, signal))) return;
  }
}

/** Waits `ms`; resolves false (early) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
