// Fault injection of the development Workload API server: the next N calls (of one method or
// any) fail with a chosen gRPC status.
import { Code, ConnectError } from "@connectrpc/connect";
import type { GrpcStatusName, WorkloadApiMethod } from "../../workload-api-types.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";

const METHODS: readonly WorkloadApiMethod[] = ["FetchX509SVID", "FetchX509Bundles", "FetchJWTBundles", "FetchJWTSVID", "ValidateJWTSVID"];

interface Failure {
  readonly code: Code;
  readonly message: string;
  readonly method: WorkloadApiMethod | undefined;
}

/** Queued failures, taken one per matching call. */
export class FaultInjector {
  readonly #failures: Failure[] = [];

  /** The next `count` calls (of `method`, or any) fail with `code`. */
  failNext(count: number, code: GrpcStatusName, message: string | undefined, method: WorkloadApiMethod | undefined): void {
    if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError("count", `count must be a non-negative integer, got ${String(count)}`);
    const value = grpcCode(code); // Connect has no OK code: "OK" is refused as unknown
    if (method !== undefined && !METHODS.includes(method)) throw new InvalidArgumentError("method", `unknown method "${String(method)}"`);
    for (let i = 0; i < count; i++) this.#failures.push({ code: value, message: message ?? `injected failure (${code})`, method });
  }

  /** Throws the first queued failure for `method` (removing it), if any. */
  take(method: WorkloadApiMethod): void {
    const i = this.#failures.findIndex((f) => f.method === undefined || f.method === method);
    if (i < 0) return;
    const [failure] = this.#failures.splice(i, 1);
    throw new ConnectError(failure!.message, failure!.code);
  }
}

/** The Connect code of a gRPC status name. */
export function grpcCode(name: GrpcStatusName): Code {
  const value = Code[name as keyof typeof Code];
  if (typeof value !== "number") throw new InvalidArgumentError("code", `unknown gRPC status "${String(name)}"`);
  return value;
}
