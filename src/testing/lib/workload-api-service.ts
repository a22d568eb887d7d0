// The state and the RPC handlers of the development Workload API server (Connect-ES).
// Generated types stay inside this file. Not exported from the package.
import { create, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  JWTBundlesResponseSchema,
  JWTSVIDResponseSchema,
  SpiffeWorkloadAPI,
  ValidateJWTSVIDResponseSchema,
  X509BundlesResponseSchema,
  X509SVIDResponseSchema,
  type JWTBundlesResponse,
  type X509BundlesResponse,
  type X509SVIDResponse,
} from "../../../gen/workload_pb.ts";
import { JwtBundle } from "../../core/bundle/jwt-bundle.ts";
import { X509Bundle } from "../../core/bundle/x509-bundle.ts";
import { SpiffeId } from "../../core/spiffeid/spiffe-id.ts";
import type { RawJwtBundlesResponse, RawX509BundlesResponse, RawX509SvidResponse } from "../raw-responses.ts";
import type { IssuedX509Svid, TestCa } from "../test-ca.ts";
import { TestingError } from "../testing-error.ts";
import type {
  FederatedBundle,
  GrpcStatusName,
  RecordedCall,
  RecordedStatus,
  TestWorkload,
  WorkloadApiMethod,
  WorkloadSelection,
} from "../workload-api-types.ts";
import { concatBytes } from "./concat-bytes.ts";
import type { AnyJwk } from "./jws.ts";
import { validateJwtSvid } from "./validate-jwt.ts";

const SECURITY_HEADER = "workload.spiffe.io";
type StreamMethod = "FetchX509SVID" | "FetchX509Bundles" | "FetchJWTBundles";
const STREAM_METHODS: readonly StreamMethod[] = ["FetchX509SVID", "FetchX509Bundles", "FetchJWTBundles"];
const METHODS: readonly WorkloadApiMethod[] = [...STREAM_METHODS, "FetchJWTSVID", "ValidateJWTSVID"];
type StreamResponse = X509SVIDResponse | X509BundlesResponse | JWTBundlesResponse;
type StreamEvent = { readonly kind: "state" } | { readonly kind: "raw"; readonly response: StreamResponse };

/** One open server stream: ordered events to send, and how to end it. */
class StreamHandle {
  readonly method: StreamMethod;
  readonly events: StreamEvent[] = [];
  closed: { readonly code: Code | undefined; readonly message: string } | undefined;
  #wake: (() => void) | undefined;

  constructor(method: StreamMethod) {
    this.method = method;
  }

  push(event: StreamEvent): void {
    if (this.closed) return;
    if (event.kind === "state" && this.events.at(-1)?.kind === "state") return; // coalesce
    this.events.push(event);
    this.#wake?.();
  }

  close(code: Code | undefined, message: string): void {
    this.closed ??= { code, message };
    this.#wake?.();
  }

  async wait(signal: AbortSignal): Promise<void> {
    if (this.events.length > 0 || this.closed || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      signal.addEventListener("abort", done);
    });
  }
}

interface MutableCall {
  readonly method: WorkloadApiMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly request: Readonly<Record<string, unknown>>;
  status: RecordedStatus | undefined;
  readonly startedAt: Date;
}

interface Failure {
  readonly code: Code;
  readonly message: string;
  readonly method: WorkloadApiMethod | undefined;
}

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
  readonly #svidTtlMs: number;
  readonly #jwtSvidTtlMs: number;
  #workloads: WorkloadSelection;
  #federated: readonly FederatedBundle[] = [];
  #unsubscribeFederated: (() => void)[] = [];
  readonly #unsubscribeCa: () => void;
  readonly #raw = new Map<StreamMethod, StreamResponse>();
  #issued = new Map<string, Promise<IssuedX509Svid>>();
  readonly #streams = new Set<StreamHandle>();
  readonly #failures: Failure[] = [];
  readonly #calls: MutableCall[] = [];

  constructor(options: ServiceOptions) {
    this.#ca = options.ca;
    this.#svidTtlMs = options.svidTtlMs;
    this.#jwtSvidTtlMs = options.jwtSvidTtlMs;
    this.#workloads = checkSelection(options.workloads);
    this.#unsubscribeCa = this.#ca.onChange(() => this.#changed(STREAM_METHODS));
    this.setFederatedBundles(options.federatedBundles);
  }

  /** Registers the five RPCs on a Connect router. */
  routes(router: ConnectRouter): void {
    router.service(SpiffeWorkloadAPI, {
      fetchX509SVID: (_req, ctx) => this.#stream("FetchX509SVID", ctx, {}, (w) => this.#x509SvidResponse(w)),
      fetchX509Bundles: (_req, ctx) => this.#stream("FetchX509Bundles", ctx, {}, (w) => this.#x509BundlesResponse(w)),
      fetchJWTBundles: (_req, ctx) => this.#stream("FetchJWTBundles", ctx, {}, (w) => this.#jwtBundlesResponse(w)),
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
          let workloads = this.#workloadsFor(ctx.requestHeader);
          if (req.spiffeId !== "") workloads = workloads.filter((w) => w.id.toString() === req.spiffeId);
          if (workloads.length === 0) throw noIdentity();
          // stricter than SPIRE, which signs ["a", ""] and fails [""] with Unavailable
          if (req.audience.some((a) => a === "")) throw new ConnectError("invalid JWT-SVID audience: cannot be empty", Code.InvalidArgument);
          const svids = await Promise.all(
            workloads.map(async (w) => {
              const jwt = await this.#ca.issueJwtSvid({ id: w.id, audience: req.audience, ttlMs: this.#jwtSvidTtlMs });
              return { spiffeId: jwt.id.toString(), svid: jwt.token, hint: w.hint ?? "" };
            }),
          );
          return create(JWTSVIDResponseSchema, { svids });
        }),
      validateJWTSVID: (req, ctx) =>
        this.#unary("ValidateJWTSVID", ctx, { audience: req.audience, svid: req.svid }, async () => {
          if (req.audience === "") throw new ConnectError("audience must be specified", Code.InvalidArgument);
          if (req.svid === "") throw new ConnectError("svid must be specified", Code.InvalidArgument);
          // like SPIRE: a caller without identity validates with its own trust domain's keys only
          const federated = this.#workloadsFor(ctx.requestHeader).length > 0;
          const result = await validateJwtSvid(req.svid, req.audience, (td) => this.#jwtKeysFor(td, federated), this.#ca.now());
          if (typeof result === "string") throw new ConnectError(result, Code.InvalidArgument);
          return create(ValidateJWTSVIDResponseSchema, { spiffeId: result.spiffeId, claims: result.claims as JsonObject });
        }),
    });
  }

  // ---- control ----

  get calls(): readonly RecordedCall[] {
    return this.#calls.map((c) => ({ ...c }));
  }

  clearCalls(): void {
    this.#calls.length = 0;
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  async rotate(): Promise<void> {
    this.#issued = new Map();
    await Promise.all(allWorkloads(this.#workloads).map((w) => this.#issue(w)));
    this.#changed(["FetchX509SVID"]);
  }

  setWorkloads(selection: WorkloadSelection): void {
    this.#workloads = checkSelection(selection);
    this.#changed(STREAM_METHODS);
  }

  setFederatedBundles(bundles: readonly FederatedBundle[]): void {
    if (!Array.isArray(bundles) || bundles.some((b) => !isFederatedBundle(b))) {
      throw new TestingError("ERR_TESTING_OPTIONS", "federated bundles must be an array of TestCa, X509Bundle or JwtBundle");
    }
    for (const unsubscribe of this.#unsubscribeFederated) unsubscribe();
    this.#federated = [...bundles];
    this.#unsubscribeFederated = this.#federated.flatMap((b) =>
      b instanceof X509Bundle || b instanceof JwtBundle ? [] : [b.onChange(() => this.#changed(STREAM_METHODS))],
    );
    this.#changed(STREAM_METHODS);
  }

  get federatedBundles(): readonly FederatedBundle[] {
    return this.#federated;
  }

  pushRaw(method: StreamMethod, raw: RawX509SvidResponse | RawX509BundlesResponse | RawJwtBundlesResponse): void {
    if (typeof raw !== "object" || raw === null) throw new TestingError("ERR_TESTING_OPTIONS", "a raw response must be an object");
    let response: StreamResponse;
    try {
      response = toMessage(method, raw);
    } catch (err) {
      throw new TestingError("ERR_TESTING_OPTIONS", `raw ${method} response has fields of the wrong type`, { cause: err });
    }
    this.#raw.set(method, response);
    for (const s of this.#streams) if (s.method === method) s.push({ kind: "raw", response });
  }

  failNext(count: number, code: GrpcStatusName, message: string | undefined, method: WorkloadApiMethod | undefined): void {
    if (!Number.isInteger(count) || count < 0) throw new TestingError("ERR_TESTING_OPTIONS", `count must be a non-negative integer, got ${String(count)}`);
    const value = Code[code as keyof typeof Code];
    if (typeof value !== "number" || code === ("OK" as string)) throw new TestingError("ERR_TESTING_OPTIONS", `unknown gRPC status "${String(code)}"`);
    if (method !== undefined && !METHODS.includes(method)) throw new TestingError("ERR_TESTING_OPTIONS", `unknown method "${String(method)}"`);
    for (let i = 0; i < count; i++) this.#failures.push({ code: value, message: message ?? `injected failure (${code})`, method });
  }

  closeStreams(code: GrpcStatusName | undefined, message: string | undefined): void {
    let value: Code | undefined;
    if (code !== undefined) {
      const c = Code[code as keyof typeof Code];
      if (typeof c !== "number") throw new TestingError("ERR_TESTING_OPTIONS", `unknown gRPC status "${String(code)}"`);
      value = c;
    }
    for (const s of this.#streams) s.close(value, message ?? (code ? `stream closed by the test (${code})` : ""));
    this.#streams.clear();
  }

  dispose(): void {
    this.closeStreams(undefined, undefined);
    this.#unsubscribeCa();
    for (const unsubscribe of this.#unsubscribeFederated) unsubscribe();
  }

  // ---- calls ----

  #record(method: WorkloadApiMethod, ctx: HandlerContext, request: Readonly<Record<string, unknown>>): MutableCall {
    const headers: Record<string, string> = {};
    ctx.requestHeader.forEach((value, name) => {
      headers[name] = value;
    });
    const call: MutableCall = { method, headers, request, status: undefined, startedAt: new Date() };
    this.#calls.push(call);
    return call;
  }

  /** Security header, then injected failures. */
  #admit(method: WorkloadApiMethod, ctx: HandlerContext): void {
    if (ctx.requestHeader.get(SECURITY_HEADER) !== "true") {
      throw new ConnectError("security header missing from request", Code.InvalidArgument);
    }
    const i = this.#failures.findIndex((f) => f.method === undefined || f.method === method);
    if (i >= 0) {
      const [failure] = this.#failures.splice(i, 1);
      throw new ConnectError(failure!.message, failure!.code);
    }
  }

  async #unary<T>(method: WorkloadApiMethod, ctx: HandlerContext, request: Readonly<Record<string, unknown>>, run: () => Promise<T>): Promise<T> {
    const call = this.#record(method, ctx, request);
    try {
      this.#admit(method, ctx);
      const response = await run();
      call.status = { code: "OK", message: "" };
      return response;
    } catch (err) {
      const error = toConnectError(err);
      call.status = statusOf(error);
      throw error;
    }
  }

  async *#stream<T extends StreamResponse>(
    method: StreamMethod,
    ctx: HandlerContext,
    request: Readonly<Record<string, unknown>>,
    build: (workloads: readonly TestWorkload[]) => Promise<T>,
  ): AsyncGenerator<T> {
    const call = this.#record(method, ctx, request);
    const handle = new StreamHandle(method);
    try {
      this.#admit(method, ctx);
      this.#streams.add(handle);
      const raw = this.#raw.get(method);
      yield raw ? (raw as T) : await build(this.#workloadsFor(ctx.requestHeader));
      for (;;) {
        await handle.wait(ctx.signal);
        if (ctx.signal.aborted) break;
        const event = handle.events.shift();
        if (event === undefined) {
          const closed = handle.closed!;
          if (closed.code !== undefined) throw new ConnectError(closed.message, closed.code);
          break;
        }
        yield event.kind === "raw" ? (event.response as T) : await build(this.#workloadsFor(ctx.requestHeader));
      }
      call.status = ctx.signal.aborted ? { code: "Canceled", message: "client canceled the stream" } : { code: "OK", message: "" };
    } catch (err) {
      const error = toConnectError(err);
      call.status = statusOf(error);
      throw error;
    } finally {
      this.#streams.delete(handle);
      // A client that goes away ends the generator through return(): neither branch above ran.
      call.status ??= { code: "Canceled", message: "client canceled the stream" };
    }
  }

  // ---- responses ----

  #workloadsFor(header: Headers): readonly { readonly id: SpiffeId; readonly hint?: string; readonly dnsSans?: readonly string[] }[] {
    const selection = this.#workloads;
    let list: readonly TestWorkload[];
    if (isWorkloadList(selection)) list = selection;
    else {
      const value = header.get(selection.header);
      list = value !== null && Object.hasOwn(selection.byValue, value) ? selection.byValue[value]! : [];
    }
    // like SPIRE, one identity per non-empty hint: the first listed (SPIRE keeps the oldest entry)
    const hints = new Set<string>();
    const unique: TestWorkload[] = [];
    for (const w of list) {
      if (w.hint) {
        if (hints.has(w.hint)) continue;
        hints.add(w.hint);
      }
      unique.push(w);
    }
    return unique.map((w) => ({ ...w, id: typeof w.id === "string" ? SpiffeId.parse(w.id) : w.id }));
  }

  #issue(w: TestWorkload): Promise<IssuedX509Svid> {
    const key = JSON.stringify([w.id.toString(), w.hint ?? null, w.dnsSans ?? []]);
    let svid = this.#issued.get(key);
    if (!svid) {
      svid = this.#ca.issueX509Svid({
        id: w.id,
        ttlMs: this.#svidTtlMs,
        ...(w.hint === undefined ? {} : { hint: w.hint }),
        ...(w.dnsSans === undefined ? {} : { dnsSans: w.dnsSans }),
      });
      this.#issued.set(key, svid);
      svid.catch(() => this.#issued.delete(key));
    }
    return svid;
  }

  async #x509SvidResponse(workloads: readonly TestWorkload[]): Promise<X509SVIDResponse> {
    if (workloads.length === 0) throw noIdentity();
    const svids = await Promise.all(workloads.map((w) => this.#issue(w)));
    const bundle = concatBytes(this.#ca.x509Authorities);
    return create(X509SVIDResponseSchema, {
      svids: svids.map((s) => ({
        spiffeId: s.id.toString(),
        x509Svid: concatBytes(s.certificates),
        x509SvidKey: s.privateKey,
        bundle,
        hint: s.hint ?? "",
      })),
      federatedBundles: this.#federatedX509(),
    });
  }

  async #x509BundlesResponse(workloads: readonly TestWorkload[]): Promise<X509BundlesResponse> {
    if (workloads.length === 0) throw noIdentity();
    return create(X509BundlesResponseSchema, {
      bundles: { ...this.#federatedX509(), [this.#ca.trustDomain.idString()]: concatBytes(this.#ca.x509Authorities) },
    });
  }

  async #jwtBundlesResponse(workloads: readonly TestWorkload[]): Promise<JWTBundlesResponse> {
    if (workloads.length === 0) throw noIdentity();
    const bundles: Record<string, Uint8Array> = {};
    for (const [td, json] of this.#federatedJwks()) bundles[td] = standardJwks(json);
    bundles[this.#ca.trustDomain.idString()] = standardJwks(this.#ca.jwksJson());
    return create(JWTBundlesResponseSchema, { bundles });
  }

  #federatedX509(): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const b of this.#federated) {
      if (b instanceof JwtBundle) continue;
      const td = b.trustDomain.idString();
      out[td] = concatBytes(b instanceof X509Bundle ? b.authorities : b.x509Authorities);
    }
    return out;
  }

  #federatedJwks(): Map<string, string> {
    const out = new Map<string, string>();
    for (const b of this.#federated) {
      if (b instanceof X509Bundle) continue;
      out.set(b.trustDomain.idString(), b instanceof JwtBundle ? b.toJson() : b.jwksJson());
    }
    return out;
  }

  #jwtKeysFor(trustDomainId: string, federated: boolean): readonly AnyJwk[] | undefined {
    const own = trustDomainId === this.#ca.trustDomain.idString();
    const json = own ? this.#ca.jwksJson() : federated ? this.#federatedJwks().get(trustDomainId) : undefined;
    if (json === undefined) return undefined;
    const parsed = JSON.parse(json) as { keys?: unknown };
    return Array.isArray(parsed.keys) ? (parsed.keys as AnyJwk[]) : [];
  }

  #changed(methods: readonly StreamMethod[]): void {
    for (const m of methods) this.#raw.delete(m);
    for (const s of this.#streams) if (methods.includes(s.method)) s.push({ kind: "state" });
  }
}

/** A JWKS as SPIRE serves it on the Workload API: `keys` only, without the SPIFFE `use` member. */
function standardJwks(json: string): Uint8Array {
  const parsed = JSON.parse(json) as { keys?: unknown };
  const keys = Array.isArray(parsed.keys) ? (parsed.keys as Record<string, unknown>[]).map(({ use: _use, ...jwk }) => jwk) : [];
  return new TextEncoder().encode(JSON.stringify({ keys }));
}

function noIdentity(): ConnectError {
  return new ConnectError("no identity issued", Code.PermissionDenied);
}

function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  return new ConnectError(`development server failed: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
}

function statusOf(err: ConnectError): RecordedStatus {
  return { code: (Code[err.code] ?? "Unknown") as GrpcStatusName, message: err.rawMessage };
}

function isWorkloadList(selection: WorkloadSelection): selection is readonly TestWorkload[] {
  return Array.isArray(selection);
}

function allWorkloads(selection: WorkloadSelection): TestWorkload[] {
  return isWorkloadList(selection) ? [...selection] : Object.values(selection.byValue).flat();
}

function isFederatedBundle(b: unknown): b is FederatedBundle {
  if (b instanceof X509Bundle || b instanceof JwtBundle) return true;
  return typeof b === "object" && b !== null && typeof (b as TestCa).issueX509Svid === "function" && typeof (b as TestCa).onChange === "function";
}

function checkSelection(selection: WorkloadSelection): WorkloadSelection {
  const bad = (why: string): TestingError => new TestingError("ERR_TESTING_OPTIONS", `workloads: ${why}`);
  if (typeof selection !== "object" || selection === null) throw bad("expected an array of { id } or { header, byValue }");
  if (!isWorkloadList(selection)) {
    if (typeof selection.header !== "string" || selection.header === "") throw bad("header must be a non-empty string");
    if (typeof selection.byValue !== "object" || selection.byValue === null) throw bad("byValue must be an object of workload arrays");
  }
  for (const w of allWorkloads(selection)) {
    if (typeof w !== "object" || w === null) throw bad("each workload must be an object { id, hint?, dnsSans? }");
    if (!(w.id instanceof SpiffeId)) SpiffeId.parse(w.id); // throws SpiffeIdError for a bad ID
  }
  return isWorkloadList(selection)
    ? [...selection]
    : { header: selection.header.toLowerCase(), byValue: { ...selection.byValue } };
}

function toMessage(method: StreamMethod, raw: RawX509SvidResponse | RawX509BundlesResponse | RawJwtBundlesResponse): StreamResponse {
  switch (method) {
    case "FetchX509SVID": {
      const r = raw as RawX509SvidResponse;
      return create(X509SVIDResponseSchema, {
        svids: (r.svids ?? []).map((s) => ({
          spiffeId: s.spiffeId ?? "",
          x509Svid: s.x509Svid ?? new Uint8Array(),
          x509SvidKey: s.x509SvidKey ?? new Uint8Array(),
          bundle: s.bundle ?? new Uint8Array(),
          hint: s.hint ?? "",
        })),
        crl: [...(r.crl ?? [])],
        federatedBundles: { ...r.federatedBundles },
      });
    }
    case "FetchX509Bundles": {
      const r = raw as RawX509BundlesResponse;
      return create(X509BundlesResponseSchema, { crl: [...(r.crl ?? [])], bundles: { ...r.bundles } });
    }
    case "FetchJWTBundles":
      return create(JWTBundlesResponseSchema, { bundles: { ...(raw as RawJwtBundlesResponse).bundles } });
  }
}
