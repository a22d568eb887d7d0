import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { type JWTBundlesResponse, SpiffeWorkloadAPI, type X509BundlesResponse, type X509SVIDResponse } from "../../gen/workload_pb.ts";
import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { toSpiffeId } from "../core/spiffeid/spiffe-id-like.ts";
import { parseWorkloadApiAddress, type WorkloadApiAddress } from "../core/workloadapi/endpoint-address.ts";
import { type BackoffOptions, createBackoff } from "./backoff.ts";
import type { JwtSvid } from "../core/svid/jwt/jwt-svid.ts";
import { sameJwtBundlesResponse, toJwtBundles, toJwtSvids, type ValidatedJwtSvid } from "./jwt-svids.ts";
import type { Logger } from "../core/logger.ts";
import { type RateLimitedLogger, rateLimitLogger } from "./logger.ts";
import {
  describeAddress,
  isConnectTransport,
  type OpenTransport,
  readProcessEnv,
  toWorkloadApiError,
  type WorkloadApiTransportFactory,
  withSecurityHeader,
} from "./workload-api-transport.ts";
import { type WatchEvent, watchEvents, type WatchSpec } from "./watch.ts";
import {
  bad,
  sameX509BundlesResponse,
  sameX509SvidResponse,
  toX509Bundles,
  toX509Context,
  type X509Context,
  type X509SvidPicker,
} from "./x509-context.ts";

/** Name of the environment variable holding the default Workload API address (Workload Endpoint spec §4). */
export const SPIFFE_ENDPOINT_SOCKET = "SPIFFE_ENDPOINT_SOCKET";

/**
 * Options of {@link WorkloadApiClient}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WorkloadApiClientOptions {
  /**
   * How calls reach the Workload API: a Connect `Transport` (gRPC over HTTP/2, used as given;
   * `address` then only names it in messages), or a {@link WorkloadApiTransportFactory} that
   * opens one to `address`. Required from `@spiffe-ts/sdk`; the runtime entries
   * (`@spiffe-ts/sdk/node`, `/bun`, `/deno`) default it to gRPC over `node:http2` to a Unix
   * socket or TCP. The client adds the `workload.spiffe.io: true` header to every call.
   */
  readonly transport?: Transport | WorkloadApiTransportFactory;
  /**
   * Endpoint address, `unix:///path` or `tcp://IP:port`, for a transport factory. Default:
   * `SPIFFE_ENDPOINT_SOCKET` from `env`.
   */
  readonly address?: string;
  /** Environment to read `SPIFFE_ENDPOINT_SOCKET` from when `address` is not given. Default: the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives retry and discarded-response reports (rate-limited). Default: silent. */
  readonly logger?: Logger;
  /** Reconnect delays of watches. Default: 1 s doubling to 30 s, ±20 % jitter. */
  readonly backoff?: BackoffOptions;
  /** Chooses the default SVID of an X.509 context. Default: the first SVID. */
  readonly picker?: X509SvidPicker;
  /** Clock for checking received SVIDs against their bundle. Default: `() => new Date()`. */
  readonly now?: () => Date;
}

/**
 * Options of one-shot calls.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WorkloadApiCallOptions {
  /** Aborts the call (it then rejects with `ERR_WORKLOAD_API_ABORTED`). */
  readonly signal?: AbortSignal;
  /** Gives up after this many ms (`ERR_WORKLOAD_API_TIMEOUT`). Default: no limit. */
  readonly timeoutMs?: number;
}

/**
 * Options of watches.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WorkloadApiWatchOptions {
  /** Ends the watch (the iteration finishes without error). */
  readonly signal?: AbortSignal;
  /**
   * Called for every problem the watch recovers from: a discarded response
   * (`ERR_WORKLOAD_API_BAD_RESPONSE`) or a failed stream that will be retried after a backoff
   * (`ERR_WORKLOAD_API_UNAVAILABLE`, `ERR_WORKLOAD_API_PERMISSION_DENIED`, ...).
   */
  readonly onError?: (error: WorkloadApiError) => void;
}

/**
 * What to fetch JWT-SVIDs for.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface FetchJwtSvidOptions extends WorkloadApiCallOptions {
  /** The audience(s) the token is for (at least one, non-empty). */
  readonly audience: string | readonly string[];
  /** Only the JWT-SVID of this SPIFFE ID. Default: every identity of the workload. */
  readonly subject?: SpiffeId | string;
}

type Which = "x509" | "x509Bundles" | "jwtBundles";
type ValueOf<W extends Which> = W extends "x509" ? X509Context : W extends "x509Bundles" ? ReadonlyMap<string, X509Bundle> : ReadonlyMap<string, JwtBundle>;

/**
 * A client of the SPIFFE Workload API (a SPIRE agent or any conforming server), over a Unix
 * socket or TCP, on Node.js, Bun and Deno alike. Every call carries the
 * `workload.spiffe.io: true` security header; responses are validated (an SVID must match
 * its key and chain to the bundle sent with it) before you see them.
 *
 * The client is transport-agnostic (Web APIs only): from `@spiffe-ts/sdk` it needs the
 * `transport` option; the runtime entries (`@spiffe-ts/sdk/node`, `/bun`, `/deno`) export a
 * `WorkloadApiClient` that connects to `address` or `SPIFFE_ENDPOINT_SOCKET` by default.
 *
 * One-shot `fetch*` calls do not retry. `watch*` streams reconnect with exponential backoff
 * after failures (never after `InvalidArgument`), skip identical consecutive updates, and
 * report discarded responses through `onError`. Most services use `X509Source` instead.
 *
 * On Deno, run with `--allow-read --allow-write=<socket> --allow-net=unix:<socket>`
 * (or `--allow-net=IP:port` for TCP; `--allow-env` when the address comes from
 * `SPIFFE_ENDPOINT_SOCKET`).
 *
 * Exported from `@spiffe-ts/sdk` (needs `transport`) and, defaulting the transport, from
 * `@spiffe-ts/sdk/node`, `/bun` and `/deno`.
 *
 * @example
 * ```ts
 * import { WorkloadApiClient } from "@spiffe-ts/sdk/node";
 * await using client = new WorkloadApiClient({ address: "unix:///run/spire/agent.sock" });
 * const { defaultSvid, bundles } = await client.fetchX509Context();
 * const jwt = await client.fetchJwtSvid({ audience: "api.example.org" });
 * ```
 *
 * @throws {ConfigError} from the constructor: `ERR_INVALID_ARGUMENT` (option `"transport"`)
 *   when no transport was given (import a runtime entry or pass one) or it is neither a
 *   Connect `Transport` nor a function; the same for any other refused option (`"picker"`,
 *   `"now"`, `"backoff.initialDelayMs"`, `"env"`, `"address"`, `"options"` itself, …).
 * @throws {WorkloadApiError} from the constructor: an `ERR_WORKLOAD_API_ADDRESS_*` code when
 *   a transport factory has no valid address (or `SPIFFE_ENDPOINT_SOCKET`).
 */
export class WorkloadApiClient {
  /** The parsed endpoint address; `undefined` when a Connect `Transport` was given without one. */
  readonly address: WorkloadApiAddress | undefined;
  readonly #connection: OpenTransport;
  readonly #rpc: Client<typeof SpiffeWorkloadAPI>;
  readonly #closed = new AbortController();
  readonly #log: RateLimitedLogger;
  readonly #backoff: BackoffOptions | undefined;
  readonly #picker: X509SvidPicker | undefined;
  readonly #now: () => Date;

  /**
   * Creates a client over `options.transport` (the runtime entries default it from
   * `address` or `SPIFFE_ENDPOINT_SOCKET`).
   *
   * @param options The transport (or address), retries, timeouts and logger.
   * @throws {ConfigError} option `transport` when it is missing (import the client from a runtime entry) or not a Connect transport; another option name for another refused option.
   */
  constructor(options: WorkloadApiClientOptions = {}) {
    if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `WorkloadApiClient: options must be an object, got ${describeType(options)}`);
    const { transport } = options;
    if (transport === undefined) {
      throw new ConfigError(
        "transport",
        "no Workload API transport: import WorkloadApiClient, X509Source, JwtSource or BundleSource from a runtime entry (@spiffe-ts/sdk/node, /bun or /deno), which connects to SPIFFE_ENDPOINT_SOCKET or the address option, or pass a Connect transport",
      );
    }
    if (typeof transport !== "function" && !isConnectTransport(transport)) {
      throw new ConfigError("transport", `must be a Connect Transport or a function opening one, got ${transport === null ? "null" : typeof transport}`);
    }
    if (options.picker !== undefined && typeof options.picker !== "function") throw new ConfigError("picker", `must be a function, got ${describeType(options.picker)}`);
    if (options.now !== undefined && typeof options.now !== "function") throw new ConfigError("now", `must be a function returning a Date, got ${describeType(options.now)}`);
    createBackoff(options.backoff); // validates
    this.#backoff = options.backoff;
    this.#picker = options.picker;
    this.#now = options.now ?? (() => new Date());
    this.#log = rateLimitLogger(options.logger);
    if (typeof transport === "function") {
      this.address = resolveAddress(options);
      this.#connection = openFactory(transport, this.address);
    } else {
      this.address = options.address === undefined ? undefined : resolveAddress(options);
      this.#connection = { transport, endpoint: this.address ? describeAddress(this.address) : "the given transport", address: this.address, close: () => {} };
    }
    this.#rpc = createClient(SpiffeWorkloadAPI, withSecurityHeader(this.#connection.transport));
  }

  /** The endpoint as text: `unix:///path` or `tcp://IP:port`. */
  get endpoint(): string {
    return this.#connection.endpoint;
  }

  /** True after {@link WorkloadApiClient.close}. */
  get closed(): boolean {
    return this.#closed.signal.aborted;
  }

  /**
   * Fetches the current X.509 context (SVIDs, own and federated bundles) once.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_UNAVAILABLE`, `ERR_WORKLOAD_API_PERMISSION_DENIED`
   *   (no identity for this workload), `ERR_WORKLOAD_API_INVALID_ARGUMENT`,
   *   `ERR_WORKLOAD_API_BAD_RESPONSE`, `ERR_WORKLOAD_API_TIMEOUT`, `ERR_WORKLOAD_API_ABORTED`,
   *   `ERR_WORKLOAD_API_CLOSED`, `ERR_WORKLOAD_API_RUNTIME_PERMISSION`.
   */
  async fetchX509Context(options: WorkloadApiCallOptions = {}): Promise<X509Context> {
    const resp = await this.#first("FetchX509SVID", options, (o) => this.#rpc.fetchX509SVID({}, o));
    return toX509Context(resp, { now: this.#now, picker: this.#picker });
  }

  /**
   * Streams X.509 contexts: the current one first, then each change. Reconnects with backoff
   * after failures; ends when `signal` aborts or the client closes.
   *
   * @throws {WorkloadApiError} (from the iteration) `ERR_WORKLOAD_API_INVALID_ARGUMENT` or
   *   `ERR_WORKLOAD_API_RUNTIME_PERMISSION`, which retrying cannot fix.
   */
  watchX509Context(options: WorkloadApiWatchOptions = {}): AsyncGenerator<X509Context, void, undefined> {
    return this.#watch("x509", options);
  }

  /**
   * Calls `listener` with each new X.509 context (see {@link WorkloadApiClient.watchX509Context});
   * returns a function that stops watching.
   */
  onX509Context(listener: (context: X509Context) => void, options: WorkloadApiWatchOptions = {}): () => void {
    return this.#listen("x509", listener, options);
  }

  /**
   * Fetches the X.509 bundles (by trust domain name) the workload trusts, once.
   *
   * @throws {WorkloadApiError} as {@link WorkloadApiClient.fetchX509Context}.
   */
  async fetchX509Bundles(options: WorkloadApiCallOptions = {}): Promise<ReadonlyMap<string, X509Bundle>> {
    const resp = await this.#first("FetchX509Bundles", options, (o) => this.#rpc.fetchX509Bundles({}, o));
    return toX509Bundles(resp);
  }

  /**
   * Streams the X.509 bundles by trust domain name, reconnecting like
   * {@link WorkloadApiClient.watchX509Context}.
   *
   * @throws {WorkloadApiError} (from the iteration) `ERR_WORKLOAD_API_INVALID_ARGUMENT` or
   *   `ERR_WORKLOAD_API_RUNTIME_PERMISSION`.
   */
  watchX509Bundles(options: WorkloadApiWatchOptions = {}): AsyncGenerator<ReadonlyMap<string, X509Bundle>, void, undefined> {
    return this.#watch("x509Bundles", options);
  }

  /** Calls `listener` with each new set of X.509 bundles; returns a function that stops watching. */
  onX509Bundles(listener: (bundles: ReadonlyMap<string, X509Bundle>) => void, options: WorkloadApiWatchOptions = {}): () => void {
    return this.#listen("x509Bundles", listener, options);
  }

  /**
   * Fetches one JWT-SVID for `audience`: the first the agent returns (for `subject` when given).
   *
   * The token is parsed without a signature check (as go-spiffe does): the local agent just
   * issued it to this workload. Its structure and claims are checked (`sub` equal to the
   * response's SPIFFE ID, `aud` containing every requested audience, `exp` present); a token
   * that fails is a bad response. To authenticate a token received from a peer, use
   * `JwtSvid.parseAndValidate` or {@link WorkloadApiClient.validateJwtSvid}.
   *
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an empty audience or an invalid
   *   subject (argument `"options.audience"`, `"options.subject"`).
   * @throws {WorkloadApiError} the codes of {@link WorkloadApiClient.fetchX509Context}.
   */
  async fetchJwtSvid(options: FetchJwtSvidOptions): Promise<JwtSvid> {
    return (await this.fetchJwtSvids(options))[0]!;
  }

  /**
   * Fetches the JWT-SVIDs of every identity of the workload (or of `subject`) for `audience`,
   * with their hints (parsed like {@link WorkloadApiClient.fetchJwtSvid}).
   *
   * @throws {InvalidArgumentError} as {@link WorkloadApiClient.fetchJwtSvid}.
   * @throws {WorkloadApiError} as {@link WorkloadApiClient.fetchJwtSvid}.
   */
  async fetchJwtSvids(options: FetchJwtSvidOptions): Promise<JwtSvid[]> {
    if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `fetchJwtSvid needs an options object with an audience, got ${describeType(options)}`);
    const audience = typeof options.audience === "string" ? [options.audience] : options.audience;
    if (!Array.isArray(audience) || audience.length === 0 || !audience.every((a) => typeof a === "string" && a !== "")) {
      throw new InvalidArgumentError("options.audience", `audience must be a non-empty string or a non-empty array of non-empty strings, got ${options.audience === "" ? "an empty string" : describeType(options.audience)}`);
    }
    let spiffeId = "";
    if (options.subject !== undefined) {
      try {
        spiffeId = toSpiffeId(options.subject).toString();
      } catch (err) {
        throw new InvalidArgumentError("options.subject", `subject is not a SPIFFE ID (${err instanceof SpiffeError ? err.code : describeType(options.subject)})`, { cause: err });
      }
    }
    const resp = await this.#unary("FetchJWTSVID", options, (o) => this.#rpc.fetchJWTSVID({ audience: [...audience], spiffeId }, o));
    return toJwtSvids(resp, audience);
  }

  /**
   * Fetches the JWT bundles (by trust domain name) the workload trusts, once.
   *
   * @throws {WorkloadApiError} as {@link WorkloadApiClient.fetchX509Context}.
   */
  async fetchJwtBundles(options: WorkloadApiCallOptions = {}): Promise<ReadonlyMap<string, JwtBundle>> {
    const resp = await this.#first("FetchJWTBundles", options, (o) => this.#rpc.fetchJWTBundles({}, o));
    return toJwtBundles(resp);
  }

  /**
   * Streams the JWT bundles by trust domain name, reconnecting like
   * {@link WorkloadApiClient.watchX509Context}.
   *
   * @throws {WorkloadApiError} (from the iteration) `ERR_WORKLOAD_API_INVALID_ARGUMENT` or
   *   `ERR_WORKLOAD_API_RUNTIME_PERMISSION`.
   */
  watchJwtBundles(options: WorkloadApiWatchOptions = {}): AsyncGenerator<ReadonlyMap<string, JwtBundle>, void, undefined> {
    return this.#watch("jwtBundles", options);
  }

  /** Calls `listener` with each new set of JWT bundles; returns a function that stops watching. */
  onJwtBundles(listener: (bundles: ReadonlyMap<string, JwtBundle>) => void, options: WorkloadApiWatchOptions = {}): () => void {
    return this.#listen("jwtBundles", listener, options);
  }

  /**
   * Asks the agent to validate a JWT-SVID for `audience`; returns its SPIFFE ID and claims.
   *
   * @throws {WorkloadApiError} `ERR_WORKLOAD_API_INVALID_ARGUMENT` when the agent rejects the
   *   token, and the codes of {@link WorkloadApiClient.fetchX509Context}.
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an empty token or audience
   *   (argument `"token"`, `"audience"`), before anything is sent.
   */
  async validateJwtSvid(token: string, audience: string, options: WorkloadApiCallOptions = {}): Promise<ValidatedJwtSvid> {
    if (typeof token !== "string" || token === "") throw new InvalidArgumentError("token", `token must be a non-empty string, got ${token === "" ? "an empty string" : describeType(token)}`);
    if (typeof audience !== "string" || audience === "") throw new InvalidArgumentError("audience", `audience must be a non-empty string, got ${audience === "" ? "an empty string" : describeType(audience)}`);
    const resp = await this.#unary("ValidateJWTSVID", options, (o) => this.#rpc.validateJWTSVID({ svid: token, audience }, o));
    if (resp.spiffeId === "") throw bad("the validation response has an empty spiffe_id");
    let id: SpiffeId;
    try {
      id = SpiffeId.parse(resp.spiffeId);
    } catch (err) {
      throw bad("the validation response has an invalid spiffe_id", err);
    }
    return { id, claims: { ...(resp.claims ?? {}) } };
  }

  /** Closes the connection: ends every watch and pending call. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.#closed.abort();
    this.#connection.close();
  }

  /** Same as {@link WorkloadApiClient.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #ensureOpen(what: string): void {
    if (this.closed) throw new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `${what}: the Workload API client is closed`);
  }

  /** Signal for one call: the caller's signal, the client's close, and an optional timeout. */
  #callContext(what: string, options: WorkloadApiCallOptions): { signal: AbortSignal; timeoutMs: number | undefined } {
    this.#ensureOpen(what);
    if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `${what}: options must be an object, got ${describeType(options)}`);
    const { signal, timeoutMs } = options;
    if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      throw new InvalidArgumentError("options.timeoutMs", `${what}: timeoutMs must be a positive number, got ${typeof timeoutMs === "number" ? timeoutMs : describeType(timeoutMs)}`);
    }
    return { signal: signal ? AbortSignal.any([signal, this.#closed.signal]) : this.#closed.signal, timeoutMs };
  }

  #callError(err: unknown, what: string, callerSignal: AbortSignal | undefined): WorkloadApiError {
    if (this.closed) return new WorkloadApiError("ERR_WORKLOAD_API_CLOSED", `${what}: the Workload API client was closed`, { cause: err });
    return toWorkloadApiError(err, what, this.#connection, callerSignal?.aborted === true);
  }

  async #unary<R>(what: string, options: WorkloadApiCallOptions, call: (o: { signal: AbortSignal; timeoutMs: number | undefined }) => Promise<R>): Promise<R> {
    const ctx = this.#callContext(what, options);
    try {
      return await call(ctx);
    } catch (err) {
      throw this.#callError(err, what, options.signal);
    }
  }

  async #first<R>(what: string, options: WorkloadApiCallOptions, open: (o: { signal: AbortSignal; timeoutMs: number | undefined }) => AsyncIterable<R>): Promise<R> {
    const ctx = this.#callContext(what, options);
    const done = new AbortController();
    try {
      for await (const resp of open({ signal: AbortSignal.any([ctx.signal, done.signal]), timeoutMs: ctx.timeoutMs })) return resp;
    } catch (err) {
      throw this.#callError(err, what, options.signal);
    } finally {
      done.abort();
    }
    throw new WorkloadApiError("ERR_WORKLOAD_API_UNAVAILABLE", `${what}: the Workload API at ${this.endpoint} ended the stream without a response`);
  }

  #spec<W extends Which>(which: W): WatchSpec<unknown, ValueOf<W>> {
    const rpc = this.#rpc;
    const specs: { [K in Which]: WatchSpec<never, ValueOf<K>> } = {
      x509: {
        method: "FetchX509SVID",
        open: (signal) => rpc.fetchX509SVID({}, { signal }) as AsyncIterable<never>,
        same: (a: X509SVIDResponse, b: X509SVIDResponse) => sameX509SvidResponse(a, b),
        convert: (r: X509SVIDResponse) => toX509Context(r, { now: this.#now, picker: this.#picker }),
      },
      x509Bundles: {
        method: "FetchX509Bundles",
        open: (signal) => rpc.fetchX509Bundles({}, { signal }) as AsyncIterable<never>,
        same: (a: X509BundlesResponse, b: X509BundlesResponse) => sameX509BundlesResponse(a, b),
        convert: (r: X509BundlesResponse) => toX509Bundles(r),
      },
      jwtBundles: {
        method: "FetchJWTBundles",
        open: (signal) => rpc.fetchJWTBundles({}, { signal }) as AsyncIterable<never>,
        same: (a: JWTBundlesResponse, b: JWTBundlesResponse) => sameJwtBundlesResponse(a, b),
        convert: (r: JWTBundlesResponse) => toJwtBundles(r),
      },
    };
    return specs[which] as WatchSpec<unknown, ValueOf<W>>;
  }

  async *#events<W extends Which>(which: W, signal: AbortSignal): AsyncGenerator<WatchEvent<ValueOf<W>>, void, undefined> {
    if (this.closed) return;
    const stop = new AbortController();
    try {
      yield* watchEvents(this.#spec(which), this.#connection, AbortSignal.any([signal, this.#closed.signal, stop.signal]), this.#backoff, this.#log);
    } finally {
      stop.abort();
    }
  }

  async *#watch<W extends Which>(which: W, options: WorkloadApiWatchOptions): AsyncGenerator<ValueOf<W>, void, undefined> {
    const { signal, onError } = checkWatchOptions(options);
    for await (const ev of this.#events(which, signal ?? new AbortController().signal)) {
      if (ev.kind === "update") yield ev.value;
      else if (!ev.retrying) throw ev.error;
      else safeCall(onError, ev.error);
    }
  }

  #listen<W extends Which>(which: W, listener: (value: ValueOf<W>) => void, options: WorkloadApiWatchOptions): () => void {
    if (typeof listener !== "function") throw new InvalidArgumentError("listener", `listener must be a function, got ${describeType(listener)}`);
    const { signal, onError } = checkWatchOptions(options);
    const stop = new AbortController();
    const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    void (async () => {
      for await (const ev of this.#events(which, combined)) {
        if (ev.kind === "update") safeCall(listener, ev.value);
        else safeCall(onError, ev.error);
      }
    })().catch(() => {});
    return () => stop.abort();
  }
}

/** The address of a transport factory: the option, else `SPIFFE_ENDPOINT_SOCKET` from `env` or the process. */
function resolveAddress(options: WorkloadApiClientOptions): WorkloadApiAddress {
  let text = options.address;
  if (text === undefined) {
    if (options.env !== undefined && (typeof options.env !== "object" || options.env === null)) throw new ConfigError("env", `must be an object, got ${describeType(options.env)}`);
    text = options.env ? options.env[SPIFFE_ENDPOINT_SOCKET] : readProcessEnv(SPIFFE_ENDPOINT_SOCKET);
    if (text === undefined || text === "") {
      throw new WorkloadApiError(
        "ERR_WORKLOAD_API_ADDRESS_MISSING",
        `no Workload API address: pass the address option or set ${SPIFFE_ENDPOINT_SOCKET} (e.g. "unix:///run/spire/sockets/agent.sock" or "tcp://127.0.0.1:8081")`,
      );
    }
  }
  if (typeof text !== "string") throw new ConfigError("address", `must be a string, got ${describeType(text)}`);
  return parseWorkloadApiAddress(text);
}

/** Opens the factory's connection to `address`. */
function openFactory(factory: WorkloadApiTransportFactory, address: WorkloadApiAddress): OpenTransport {
  const connection = factory(address);
  if (typeof connection !== "object" || connection === null || !isConnectTransport(connection.transport)) {
    throw new ConfigError("transport", "the transport factory must return { transport, endpoint, close? } with a Connect Transport");
  }
  return {
    transport: connection.transport,
    endpoint: typeof connection.endpoint === "string" ? connection.endpoint : describeAddress(address),
    address,
    close: () => connection.close?.(),
  };
}

function checkWatchOptions(options: WorkloadApiWatchOptions): WorkloadApiWatchOptions {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `watch options must be an object, got ${describeType(options)}`);
  if (options.onError !== undefined && typeof options.onError !== "function") throw new InvalidArgumentError("options.onError", `onError must be a function, got ${describeType(options.onError)}`);
  return options;
}

function safeCall<T>(fn: ((value: T) => void) | undefined, value: T): void {
  try {
    fn?.(value);
  } catch {
    // a throwing listener must not stop the watch
  }
}

