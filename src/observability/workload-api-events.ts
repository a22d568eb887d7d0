// Reports what the Workload API watches and calls do to the registered hooks (internal):
// accepted updates, discarded responses, failed streams, and every gRPC call (as a
// Connect interceptor). With no hook registered each costs one array-length check.
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import type { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import type { X509Svid } from "../core/svid/x509/x509-svid.ts";
import type { SourceUpdateInfo, WorkloadApiCallInfo } from "./spiffe-trace.ts";
import { safely, traces } from "./trace-registry.ts";

/** What the watches deliver, by gRPC method (the shapes of X509Context and the bundle maps). */
type WatchValue = { readonly defaultSvid: X509Svid; readonly bundles: ReadonlyMap<string, X509Bundle> } | ReadonlyMap<string, X509Bundle> | ReadonlyMap<string, JwtBundle>;

/** A watch accepted `value` from `method` (`FetchX509SVID`, `FetchX509Bundles`, `FetchJWTBundles`). */
export function reportWatchUpdate(method: string, value: unknown, endpoint: string): void {
  const registrations = traces();
  if (registrations.length === 0) return;
  const info = updateInfo(method, value as WatchValue, endpoint);
  if (!info) return;
  for (const { trace } of registrations) if (trace.sourceUpdated) safely(() => trace.sourceUpdated!(info));
}

function updateInfo(method: string, value: WatchValue, endpoint: string): SourceUpdateInfo | undefined {
  if (method === "FetchX509SVID" && "defaultSvid" in value) {
    const { id, serialNumber, expiresAt } = value.defaultSvid;
    return { kind: "x509-context", svid: { id, serialNumber, expiresAt }, bundles: value.bundles, endpoint };
  }
  if (method === "FetchX509Bundles" && value instanceof Map) return { kind: "x509-bundles", bundles: value as ReadonlyMap<string, X509Bundle>, endpoint };
  if (method === "FetchJWTBundles" && value instanceof Map) return { kind: "jwt-bundles", bundles: value as ReadonlyMap<string, JwtBundle>, endpoint };
  return undefined;
}

/** A watch discarded a response of `method` (the last good state stays). */
export function reportUpdateRefused(method: string, error: WorkloadApiError, endpoint: string): void {
  const registrations = traces();
  if (registrations.length === 0) return;
  const info = { method, code: error.code, endpoint };
  for (const { trace } of registrations) if (trace.updateRefused) safely(() => trace.updateRefused!(info));
}

/** A watch stream of `method` failed or ended; `retrying` when it reconnects. */
export function reportStreamError(method: string, error: WorkloadApiError, retrying: boolean, endpoint: string): void {
  const registrations = traces();
  if (registrations.length === 0) return;
  const info = { method, code: error.code, grpcStatus: error.grpcStatus, retrying, endpoint };
  for (const { trace } of registrations) if (trace.streamError) safely(() => trace.streamError!(info));
}

/** gRPC statuses OK and CANCELLED, and the status of an error (Connect's `Code` values are the gRPC ones). */
const OK = 0;
const CANCELLED = 1;
const statusOf = (err: unknown): number => ConnectError.from(err).code;

/**
 * A Connect interceptor that reports every Workload API call to `endpoint`: start, and end
 * with its gRPC status (a stream ends when it ends, fails, or its reader stops).
 */
export function reportWorkloadApiCalls(endpoint: string): Interceptor {
  return (next) => async (req) => {
    const registrations = traces();
    if (registrations.length === 0) return await next(req);
    const call: WorkloadApiCallInfo = { service: req.service.typeName, method: req.method.name, streaming: req.stream, endpoint };
    const contexts = registrations.map(({ trace }) => (trace.workloadApiCallStart ? safely(() => trace.workloadApiCallStart!(call)) : undefined));
    let ended = false;
    const end = (err: unknown): void => {
      if (ended) return;
      ended = true;
      req.signal.removeEventListener("abort", onAbort);
      // a call the SDK cancelled itself (a closed source, a one-shot fetch done) is no failure
      const cancelled = req.signal.aborted;
      const error = err === undefined || cancelled ? undefined : err instanceof Error ? err : new Error(String(err));
      const info = { ...call, grpcStatus: err === undefined ? OK : cancelled ? CANCELLED : statusOf(err), error };
      registrations.forEach(({ trace }, i) => trace.workloadApiCallEnd && safely(() => trace.workloadApiCallEnd!(info, contexts[i])));
    };
    // A stream the SDK stops reading (a one-shot fetch that has its answer, a closed source) is
    // cancelled through this signal, and its messages are never pulled again: end it here.
    const onAbort = (): void => end(req.signal.reason ?? "cancelled");
    req.signal.addEventListener("abort", onAbort, { once: true });
    let res;
    try {
      res = await next(req);
    } catch (err) {
      end(err);
      throw err;
    }
    if (!res.stream) {
      end(undefined);
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
          end(undefined);
        } catch (err) {
          end(err);
          throw err;
        } finally {
          end(undefined); // the reader stopped early (return()) without cancelling
        }
      })(),
    };
  };
}
