// Call recording of the development Workload API server: each call's method, headers,
// request and final status, for tests to assert on.
import { Code, type ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { GrpcStatusName, RecordedCall, RecordedStatus, WorkloadApiMethod } from "../../workload-api-types.ts";

/** A call whose status is set when it ends. */
export interface MutableCall {
  readonly method: WorkloadApiMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly request: Readonly<Record<string, unknown>>;
  status: RecordedStatus | undefined;
  readonly startedAt: Date;
}

/** The calls received, in order. */
export class CallRecorder {
  readonly #calls: MutableCall[] = [];

  /** Snapshots of the calls so far. */
  get calls(): readonly RecordedCall[] {
    return this.#calls.map((c) => ({ ...c }));
  }

  clear(): void {
    this.#calls.length = 0;
  }

  record(method: WorkloadApiMethod, ctx: HandlerContext, request: Readonly<Record<string, unknown>>): MutableCall {
    const headers: Record<string, string> = {};
    ctx.requestHeader.forEach((value, name) => {
      headers[name] = value;
    });
    const call: MutableCall = { method, headers, request, status: undefined, startedAt: new Date() };
    this.#calls.push(call);
    return call;
  }
}

/** The status recorded for a call that ended with `err`. */
export function statusOf(err: ConnectError): RecordedStatus {
  return { code: (Code[err.code] ?? "Unknown") as GrpcStatusName, message: err.rawMessage };
}

/** A recorded status for a call that succeeded / that the client canceled. */
export const OK_STATUS: RecordedStatus = { code: "OK", message: "" };
export const CANCELED_STATUS: RecordedStatus = { code: "Canceled", message: "client canceled the stream" };
