// The development Workload API server. The only file of `@spiffe-ts/sdk/testing` that uses
// `node:*` modules: a gRPC server needs node:http2 (which Node, Bun and Deno all provide).
// The test CA is Web-API only.
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { lstatSync, unlinkSync } from "node:fs";
import * as http2 from "node:http2";
import type { Socket } from "node:net";
import { isAbsolute, resolve } from "node:path";
import { WorkloadApiService } from "./lib/workload-api-service.ts";
import type { RawJwtBundlesResponse, RawX509BundlesResponse, RawX509SvidResponse } from "./raw-responses.ts";
import type { TestCa } from "./test-ca.ts";
import { TestingError } from "./testing-error.ts";
import type { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import type {
  FederatedBundle,
  GrpcStatusName,
  RecordedCall,
  WorkloadApiMethod,
  WorkloadSelection,
} from "./workload-api-types.ts";
import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";

/**
 * Options of {@link startWorkloadApiServer}. Exactly one of `socketPath` and `tcpPort`.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface WorkloadApiServerOptions {
  /** Unix domain socket to listen on (made absolute; a stale socket file is replaced). */
  readonly socketPath?: string;
  /** TCP port on 127.0.0.1 (`0` picks a free one, kept across `restart()`). */
  readonly tcpPort?: number;
  /** The CA that issues the served SVIDs and whose bundles are served as the own trust domain's. */
  readonly ca: TestCa;
  /** Who gets which SVIDs (a list for every caller, or a map by a test-supplied header). */
  readonly workloads: WorkloadSelection;
  /** Lifetime of issued X.509-SVIDs. Default 1 hour. */
  readonly svidTtlMs?: number;
  /** Lifetime of issued JWT-SVIDs. Default 5 minutes. */
  readonly jwtSvidTtlMs?: number;
  /** Call `rotate()` on this period while the server runs. Default: never. */
  readonly rotateEveryMs?: number;
  /** Bundles of federated trust domains, served next to the CA's own. Default none. */
  readonly federatedBundles?: readonly FederatedBundle[];
}

/**
 * A running development Workload API server. See {@link startWorkloadApiServer}.
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 */
export interface WorkloadApiServer extends AsyncDisposable {
  /** The endpoint in SPIFFE form, for `SPIFFE_ENDPOINT_SOCKET`: `unix:///abs/path` or `tcp://127.0.0.1:port`. */
  readonly address: string;
  /** Same as {@link WorkloadApiServer.address}. */
  readonly url: string;
  /** Absolute socket path (Unix mode), else undefined. */
  readonly socketPath: string | undefined;
  /** TCP port (TCP mode), else undefined. */
  readonly port: number | undefined;
  /** The issuing CA. */
  readonly ca: TestCa;
  /** True between start/restart and stop. */
  readonly running: boolean;
  /** Every call received so far, in order (snapshots; a stream's status is set when it ends). */
  readonly calls: readonly RecordedCall[];
  /** Number of streams currently open. */
  readonly openStreams: number;
  /** Forgets the recorded calls. */
  clearCalls(): void;
  /** Reissues every workload's X.509-SVID and pushes the new response to open FetchX509SVID streams. */
  rotate(): Promise<void>;
  /** Replaces the workloads; open streams get the new state (PermissionDenied "no identity issued" when empty). */
  setWorkloads(workloads: WorkloadSelection): void;
  /** Replaces the federated bundles and pushes them to open streams. */
  setFederatedBundles(bundles: readonly FederatedBundle[]): void;
  /** Adds (or replaces, by trust domain) one federated bundle. */
  addFederatedBundle(bundle: FederatedBundle): void;
  /** Removes every federated bundle of a trust domain. */
  removeFederatedBundle(trustDomain: TrustDomain | string): void;
  /**
   * Sends `response` as is on every open FetchX509SVID stream, and to streams opened later,
   * until the next state change (rotate, workloads, bundles, CA change).
   *
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"response"`) if it is not an object of the raw shape.
   */
  pushRawX509Response(response: RawX509SvidResponse): void;
  /** Like {@link WorkloadApiServer.pushRawX509Response}, for FetchX509Bundles streams. */
  pushRawX509BundlesResponse(response: RawX509BundlesResponse): void;
  /** Like {@link WorkloadApiServer.pushRawX509Response}, for FetchJWTBundles streams. */
  pushRawJwtBundlesResponse(response: RawJwtBundlesResponse): void;
  /**
   * Fails the next `count` calls (of `method`, or of any method) with `code` after the
   * security-header check.
   *
   * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for a bad count, code or method (`argument` names it).
   */
  failNext(count: number, code: GrpcStatusName, message?: string, method?: WorkloadApiMethod): void;
  /** Ends every open stream: cleanly (OK) without `code`, else with that status. */
  closeStreams(code?: GrpcStatusName, message?: string): void;
  /** Stops listening, drops every connection (clients see Canceled/Unavailable) and removes the socket file. */
  stop(): Promise<void>;
  /**
   * Listens again on the same socket path or port, with the same state.
   *
   * @throws {TestingError} `ERR_TESTING_LISTEN` if the address is taken.
   */
  restart(): Promise<void>;
}

/**
 * Starts a development Workload API server: a Connect gRPC server (`node:http2`, runs on
 * Node, Bun and Deno) on a Unix socket or 127.0.0.1 TCP port that serves FetchX509SVID,
 * FetchX509Bundles, FetchJWTSVID, FetchJWTBundles and ValidateJWTSVID, enforces the
 * `workload.spiffe.io: true` header, streams updates, and lets the test rotate, inject raw
 * responses and failures, and inspect calls.
 *
 * For development and tests only, never production: it does not attest callers (every
 * caller gets the configured workloads, or picks them with a header it sets itself) and
 * its ValidateJWTSVID is a simple validator. On Deno, the process needs
 * `--allow-read --allow-write=<socket> --allow-net` (or `-A`).
 *
 * Exported from `@spiffe-ts/sdk/testing`.
 *
 * @example
 * ```ts
 * import { createTestCa, startWorkloadApiServer } from "@spiffe-ts/sdk/testing";
 * const ca = await createTestCa({ trustDomain: "example.org" });
 * await using server = await startWorkloadApiServer({
 *   socketPath: "/tmp/spiffe-test/agent.sock",
 *   ca,
 *   workloads: [{ id: "spiffe://example.org/web" }],
 * });
 * process.env.SPIFFE_ENDPOINT_SOCKET = server.address; // "unix:///tmp/spiffe-test/agent.sock"
 * await server.rotate(); // streams receive a new SVID
 * ```
 *
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` naming a refused option.
 * @throws {TestingError} `ERR_TESTING_LISTEN` if it cannot listen.
 * @throws {SpiffeIdError} if a workload ID is invalid.
 */
export async function startWorkloadApiServer(options: WorkloadApiServerOptions): Promise<WorkloadApiServer> {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `startWorkloadApiServer needs an options object, got ${describeType(options)}`);
  const { socketPath, tcpPort } = options;
  if ((socketPath === undefined) === (tcpPort === undefined)) {
    throw new ConfigError(socketPath === undefined ? "socketPath" : "tcpPort", "give exactly one of socketPath (a Unix socket path) and tcpPort (a port on 127.0.0.1)");
  }
  if (socketPath !== undefined && (typeof socketPath !== "string" || socketPath === "")) {
    throw new ConfigError("socketPath", "must be a non-empty path");
  }
  if (tcpPort !== undefined && (!Number.isInteger(tcpPort) || tcpPort < 0 || tcpPort > 65535)) {
    throw new ConfigError("tcpPort", `must be an integer 0..65535, got ${String(tcpPort)}`);
  }
  if (typeof options.ca?.issueX509Svid !== "function") throw new ConfigError("ca", `must be a TestCa from createTestCa, got ${describeType(options.ca)}`);
  const service = new WorkloadApiService({
    ca: options.ca,
    workloads: options.workloads,
    svidTtlMs: positive(options.svidTtlMs, 3600_000, "svidTtlMs"),
    jwtSvidTtlMs: positive(options.jwtSvidTtlMs, 300_000, "jwtSvidTtlMs"),
    federatedBundles: options.federatedBundles ?? [],
  });
  const rotateEveryMs = options.rotateEveryMs === undefined ? undefined : positive(options.rotateEveryMs, 0, "rotateEveryMs");
  const server = new DevServer(
    service,
    options.ca,
    socketPath === undefined ? { kind: "tcp", port: tcpPort! } : { kind: "unix", path: isAbsolute(socketPath) ? socketPath : resolve(socketPath) },
    rotateEveryMs,
  );
  try {
    await server.restart();
  } catch (err) {
    service.dispose();
    throw err;
  }
  return server;
}

type Endpoint = { readonly kind: "unix"; readonly path: string } | { readonly kind: "tcp"; port: number };

class DevServer implements WorkloadApiServer {
  readonly ca: TestCa;
  readonly #service: WorkloadApiService;
  readonly #endpoint: Endpoint;
  readonly #rotateEveryMs: number | undefined;
  #http: http2.Http2Server | undefined;
  readonly #sockets = new Set<Socket>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(service: WorkloadApiService, ca: TestCa, endpoint: Endpoint, rotateEveryMs: number | undefined) {
    this.#service = service;
    this.ca = ca;
    this.#endpoint = endpoint;
    this.#rotateEveryMs = rotateEveryMs;
  }

  get address(): string {
    return this.#endpoint.kind === "unix" ? `unix://${this.#endpoint.path}` : `tcp://127.0.0.1:${this.#endpoint.port}`;
  }

  get url(): string {
    return this.address;
  }

  get socketPath(): string | undefined {
    return this.#endpoint.kind === "unix" ? this.#endpoint.path : undefined;
  }

  get port(): number | undefined {
    return this.#endpoint.kind === "tcp" ? this.#endpoint.port : undefined;
  }

  get running(): boolean {
    return this.#http !== undefined;
  }

  get calls(): readonly RecordedCall[] {
    return this.#service.calls;
  }

  get openStreams(): number {
    return this.#service.openStreams;
  }

  clearCalls(): void {
    this.#service.clearCalls();
  }

  rotate(): Promise<void> {
    return this.#service.rotate();
  }

  setWorkloads(workloads: WorkloadSelection): void {
    this.#service.setWorkloads(workloads);
  }

  setFederatedBundles(bundles: readonly FederatedBundle[]): void {
    this.#service.setFederatedBundles(bundles);
  }

  addFederatedBundle(bundle: FederatedBundle): void {
    const td = bundle?.trustDomain;
    this.#service.setFederatedBundles([...this.#service.federatedBundles.filter((b) => !b.trustDomain.equals(td)), bundle]);
  }

  removeFederatedBundle(trustDomain: TrustDomain | string): void {
    this.#service.setFederatedBundles(this.#service.federatedBundles.filter((b) => !b.trustDomain.equals(trustDomain)));
  }

  pushRawX509Response(response: RawX509SvidResponse): void {
    this.#service.pushRaw("FetchX509SVID", response);
  }

  pushRawX509BundlesResponse(response: RawX509BundlesResponse): void {
    this.#service.pushRaw("FetchX509Bundles", response);
  }

  pushRawJwtBundlesResponse(response: RawJwtBundlesResponse): void {
    this.#service.pushRaw("FetchJWTBundles", response);
  }

  failNext(count: number, code: GrpcStatusName, message?: string, method?: WorkloadApiMethod): void {
    this.#service.failNext(count, code, message, method);
  }

  closeStreams(code?: GrpcStatusName, message?: string): void {
    this.#service.closeStreams(code, message);
  }

  async stop(): Promise<void> {
    const http = this.#http;
    if (!http) return;
    this.#http = undefined;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    // Drop the connections abruptly, like an agent that died: destroying the sockets (rather
    // than the HTTP/2 sessions) sends no GOAWAY, which Deno 2.9's node:http2 client can crash
    // on (nghttp2 assertion in find_stream_on_goaway_func) after a canceled stream.
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#service.closeStreams(undefined, undefined);
    await new Promise<void>((done) => http.close(() => done()));
    if (this.#endpoint.kind === "unix") removeSocket(this.#endpoint.path);
  }

  async restart(): Promise<void> {
    if (this.#http) await this.stop();
    const handler = connectNodeAdapter({ grpc: true, grpcWeb: false, connect: false, routes: (router) => this.#service.routes(router) });
    const http = http2.createServer(handler);
    http.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    const endpoint = this.#endpoint;
    if (endpoint.kind === "unix") removeStaleSocket(endpoint.path);
    await new Promise<void>((done, fail) => {
      const onError = (err: Error): void =>
        fail(new TestingError("ERR_TESTING_LISTEN", `development Workload API server cannot listen on ${this.address}: ${err.message}`, { cause: err }));
      http.once("error", onError);
      const listening = (): void => {
        http.off("error", onError);
        done();
      };
      if (endpoint.kind === "unix") http.listen(endpoint.path, listening);
      else http.listen(endpoint.port, "127.0.0.1", listening);
    });
    if (endpoint.kind === "tcp") {
      const address = http.address();
      if (address !== null && typeof address === "object") endpoint.port = address.port;
    }
    this.#http = http;
    if (this.#rotateEveryMs !== undefined) {
      this.#timer = setInterval(() => void this.#service.rotate().catch(() => undefined), this.#rotateEveryMs);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    this.#service.dispose();
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(name, `must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** Removes a leftover socket file; refuses to delete anything that is not a socket. */
function removeStaleSocket(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // does not exist
  }
  if (!isSocket) throw new TestingError("ERR_TESTING_LISTEN", `${path} exists and is not a socket; refusing to replace it`);
  removeSocket(path);
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
