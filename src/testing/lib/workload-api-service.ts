// The RPC handlers of the development Workload API server (Connect-ES), composed of its jobs:
// stream fan-out, call recording, fault injection, workload selection and response building
// (each in lib/workload-api/). Generated types stay inside lib/. Not exported from the package.
import { create, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { SpiffeWorkloadAPI, ValidateJWTSVIDResponseSchema } from "../../../gen/workload_pb.ts";
import { SpiffeId } from "../../core/spiffeid/spiffe-id.ts";
import type { TestCa } from "../test-ca.ts";
import type { FederatedBundle, GrpcStatusName, RecordedCall, WorkloadApiMethod, WorkloadSelection } from "../workload-api-types.ts";
import { validateJwtSvid } from "./validate-jwt.ts";
import { CallRecorder, CANCELED_STATUS, OK_STATUS, statusOf } from "./workload-api/call-recorder.ts";
import { FaultInjector, grpcCode } from "./workload-api/fault-injector.ts";
import { type RawStreamResponse, rawMessage } from "./workload-api/raw-message.ts";
import { noIdentity, ResponseBuilder } from "./workload-api/responses.ts";
import { STREAM_METHODS, StreamFanOut, type StreamMethod, type StreamResponse } from "./workload-api/stream-fan-out.ts";
import { allWorkloads, checkSelection, type SelectedWorkload, selected, workloadsFor } from "./workload-api/workload-selection.ts";

const SECURITY_HEADER = "workload.spiffe.io";

export interface ServiceOptions {
  readonly ca: TestCa;
  readonly workloads: WorkloadSelection;
  readonly svidTtlMs: number;
  readonly jwtSvidTtlMs: number;
  readonly federatedBundles: readonly FederatedBundle[];
}

/** State + handlers; the server file only listens, stops and restarts. */
export class WorkloadApiService {
  readonly #ca: TestCa;
  #workloads: WorkloadSelection;
  readonly #unsubscribeCa: () => void;
  readonly #streams = new StreamFanOut();
  readonly #recorder = new CallRecorder();
  readonly #faults = new FaultInjector();
  readonly #responses: ResponseBuilder;

  constructor(options: ServiceOptions) {
    this.#ca = options.ca;
    this.#responses = new ResponseBuilder(options.ca, options.svidTtlMs, options.jwtSvidTtlMs);
    this.#workloads = checkSelection(options.workloads);
    this.#unsubscribeCa = this.#ca.onChange(() => this.#streams.changed(STREAM_METHODS));
    this.setFederatedBundles(options.federatedBundles);
  }

  /** Registers the five RPCs on a Connect router. */
  routes(router: ConnectRouter): void {
    const responses = this.#responses;
    router.service(SpiffeWorkloadAPI, {
      fetchX509SVID: (_req, ctx) => this.#stream("FetchX509SVID", ctx, (w) => responses.x509Svid(w)),
      fetchX509Bundles: (_req, ctx) => this.#stream("FetchX509Bundles", ctx, (w) => responses.x509Bundles(w)),
      fetchJWTBundles: (_req, ctx) => this.#stream("FetchJWTBundles", ctx, (w) => responses.jwtBundles(w)),
      fetchJWTSVID: (req, ctx) =>
        this.#unary("FetchJWTSVID", ctx, { audience: [...req.audience], spiffeId: req.spiffeId }, async () => {
          // SPIRE's order: audience list, requested ID, then identity (PermissionDenied)
          if (req.audience.length === 0) throw new ConnectError("audience must be specified", Code.InvalidArgument);
          if (req.spiffeId !== "") {
            try {
              SpiffeId.parse(req.spiffeId);
            } catch (err) {
              throw new ConnectError(`invalid requested SPIFFE ID: ${err instanceof Error ? err.message : String(err)}`, Code.InvalidArgument);
            }
          }
          let workloads = this.#workloadsFor(ctx);
          if (req.spiffeId !== "") workloads = workloads.filter((w) => w.id.toString() === req.spiffeId);
          if (workloads.length === 0) throw noIdentity();
          // stricter than SPIRE, which signs ["a", ""] and fails [""] with Unavailable
          if (req.audience.some((a) => a === "")) throw new ConnectError("invalid JWT-SVID audience: cannot be empty", Code.InvalidArgument);
          return responses.jwtSvids(workloads, req.audience);
        }),
      validateJWTSVID: (req, ctx) =>
        this.#unary("ValidateJWTSVID", ctx, { audience: req.audience, svid: req.svid }, async () => {
          if (req.audience === "") throw new ConnectError("audience must be specified", Code.InvalidArgument);
          if (req.svid === "") throw new ConnectError("svid must be specified", Code.InvalidArgument);
          // like SPIRE: a caller without identity validates with its own trust domain's keys only
          const federated = this.#workloadsFor(ctx).length > 0;
          const result = await validateJwtSvid(req.svid, req.audience, (td) => responses.jwtKeysFor(td, federated), this.#ca.now());
          if (typeof result === "string") throw new ConnectError(result, Code.InvalidArgument);
          return create(ValidateJWTSVIDResponseSchema, { spiffeId: result.spiffeId, claims: result.claims as JsonObject });
        }),
    });
  }

  // ---- control ----

  get calls(): readonly RecordedCall[] {
    return this.#recorder.calls;
  }

  clearCalls(): void {
    this.#recorder.clear();
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  async rotate(): Promise<void> {
    await this.#responses.rotate(allWorkloads(this.#workloads).map(selected));
    this.#streams.changed(["FetchX509SVID"]);
  }

  setWorkloads(selection: WorkloadSelection): void {
    this.#workloads = checkSelection(selection);
    this.#streams.changed(STREAM_METHODS);
  }

  setFederatedBundles(bundles: readonly FederatedBundle[]): void {
    this.#responses.setFederatedBundles(bundles, () => this.#streams.changed(STREAM_METHODS));
    this.#streams.changed(STREAM_METHODS);
  }

  get federatedBundles(): readonly FederatedBundle[] {
    return this.#responses.federatedBundles;
  }

  pushRaw(method: StreamMethod, raw: RawStreamResponse): void {
    this.#streams.pushRaw(method, rawMessage(method, raw));
  }

  failNext(count: number, code: GrpcStatusName, message: string | undefined, method: WorkloadApiMethod | undefined): void {
    this.#faults.failNext(count, code, message, method);
  }

  closeStreams(code: GrpcStatusName | undefined, message: string | undefined): void {
    const value = code === undefined ? undefined : grpcCode(code);
    this.#streams.closeAll(value, message ?? (code ? `stream closed by the test (${code})` : ""));
  }

  dispose(): void {
    this.closeStreams(undefined, undefined);
    this.#unsubscribeCa();
    this.#responses.dispose();
  }

  // ---- calls ----

  #workloadsFor(ctx: HandlerContext): readonly SelectedWorkload[] {
    return workloadsFor(this.#workloads, ctx.requestHeader);
  }

  /** Security header, then injected failures. */
  #admit(method: WorkloadApiMethod, ctx: HandlerContext): void {
    if (ctx.requestHeader.get(SECURITY_HEADER) !== "true") {
      throw new ConnectError("security header missing from request", Code.InvalidArgument);
    }
    this.#faults.take(method);
  }

  async #unary<T>(method: WorkloadApiMethod, ctx: HandlerContext, request: Readonly<Record<string, unknown>>, run: () => Promise<T>): Promise<T> {
    const call = this.#recorder.record(method, ctx, request);
    try {
      this.#admit(method, ctx);
      const response = await run();
      call.status = OK_STATUS;
      return response;
    } catch (err) {
      const error = toConnectError(err);
      call.status = statusOf(error);
      throw error;
    }
  }

  async *#stream<T extends StreamResponse>(method: StreamMethod, ctx: HandlerContext, build: (workloads: readonly SelectedWorkload[]) => Promise<T>): AsyncGenerator<T> {
    const call = this.#recorder.record(method, ctx, {});
    let handle: ReturnType<StreamFanOut["open"]> | undefined;
    try {
      this.#admit(method, ctx);
      handle = this.#streams.open(method);
      const raw = this.#streams.raw(method);
      yield raw ? (raw as T) : await build(this.#workloadsFor(ctx));
      for (;;) {
        await handle.wait(ctx.signal);
        if (ctx.signal.aborted) break;
        const event = handle.next();
        if (event === undefined) {
          const closed = handle.closed!;
          if (closed.code !== undefined) throw new ConnectError(closed.message, closed.code);
          break;
        }
        yield event.kind === "raw" ? (event.response as T) : await build(this.#workloadsFor(ctx));
      }
      call.status = ctx.signal.aborted ? CANCELED_STATUS : OK_STATUS;
    } catch (err) {
      const error = toConnectError(err);
      call.status = statusOf(error);
      throw error;
    } finally {
      if (handle) this.#streams.release(handle);
      // A client that goes away ends the generator through return(): neither branch above ran.
      call.status ??= CANCELED_STATUS;
    }
  }
}

function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  return new ConnectError(`development server failed: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
}
