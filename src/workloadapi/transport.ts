// The one place outside the adapters that touches runtime modules: a Connect-ES gRPC
// transport over node:http2 (Node, Bun and Deno alike) to a Unix socket or TCP endpoint,
// plus the mapping of transport failures to WorkloadApiError.
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as net from "node:net";
import { SpiffeWorkloadAPI } from "../../gen/workload_pb.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import type { WorkloadApiAddress } from "../core/workloadapi/endpoint-address.ts";
import { reportWorkloadApiCalls } from "../observability/workload-api-events.ts";

/** The generated Workload API client type (internal: never part of the public API). */
export type WorkloadApiRpcClient = Client<typeof SpiffeWorkloadAPI>;

/** An open transport to one Workload API endpoint (internal). */
export interface WorkloadApiConnection {
  readonly rpc: WorkloadApiRpcClient;
  /** The endpoint, for messages: `unix:///path` or `tcp://host:port`. */
  readonly endpoint: string;
  readonly address: WorkloadApiAddress;
  /** Ends the HTTP/2 session and every call on it, so the process can exit. */
  close(): void;
}

/** The security header every Workload API request carries (Workload Endpoint spec §3). */
export const SECURITY_HEADER = "workload.spiffe.io";

const addSecurityHeader: Interceptor = (next) => (req) => {
  req.header.set(SECURITY_HEADER, "true");
  return next(req);
};

/** Opens (lazily: nothing connects before the first call) a transport to `address`. */
export function connectWorkloadApi(address: WorkloadApiAddress): WorkloadApiConnection {
  const endpoint = describeAddress(address);
  const createConnection = address.kind === "unix" ? (): net.Socket => net.connect(address.path) : (): net.Socket => net.connect(address.port, address.host);
  const baseUrl = address.kind === "unix" ? "http://localhost" : `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
  const sessionManager = new Http2SessionManager(baseUrl, { pingIntervalMs: 30_000 }, { createConnection });
  const transport = createGrpcTransport({ baseUrl, sessionManager, interceptors: [addSecurityHeader, reportWorkloadApiCalls(endpoint)] });
  return {
    rpc: createClient(SpiffeWorkloadAPI, transport),
    endpoint,
    address,
    close: () => sessionManager.abort(new ConnectError("Workload API client closed", Code.Canceled)),
  };
}

/**
 * Reads one variable of the process environment (only when no explicit address was given).
 *
 * @throws {WorkloadApiError} `ERR_WORKLOAD_API_RUNTIME_PERMISSION` when the runtime denies
 *   it (Deno without `--allow-env`).
 */
export function readProcessEnv(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  try {
    const value = p?.env?.[name];
    return typeof value === "string" ? value : undefined;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new WorkloadApiError(
      "ERR_WORKLOAD_API_RUNTIME_PERMISSION",
      `cannot read ${name} from the environment (${detail}); on Deno, run with --allow-env=${name}, or pass the address option`,
      { cause: err },
    );
  }
}

/** `unix:///path` or `tcp://host:port` (for messages and logs). */
export function describeAddress(address: WorkloadApiAddress): string {
  return address.kind === "unix" ? `unix://${address.path}` : `tcp://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
}

/**
 * Turns whatever a call threw into a WorkloadApiError (the original kept as `cause`).
 * `aborted` tells whether the caller's own signal ended the call.
 */
export function toWorkloadApiError(err: unknown, what: string, connection: WorkloadApiConnection, aborted: boolean): WorkloadApiError {
  if (err instanceof WorkloadApiError) return err;
  const ce = ConnectError.from(err);
  const status = ce.code;
  const detail = ce.rawMessage;
  const at = connection.endpoint;
  const opts = { cause: err, grpcStatus: status };
  if (isDenoPermission(detail)) {
    const socket = connection.address.kind === "unix" ? connection.address.path : undefined;
    const flags = socket ? `--allow-read --allow-write=${socket} --allow-net=unix:${socket}` : `--allow-read --allow-net=${connection.address.kind === "tcp" ? `${connection.address.host}:${connection.address.port}` : ""}`;
    return new WorkloadApiError("ERR_WORKLOAD_API_RUNTIME_PERMISSION", `${what}: the runtime refused access to the Workload API at ${at} (${detail}); on Deno, run with ${flags}`, opts);
  }
  if (!statusFromServer(ce) && isMalformedStream(status, detail)) {
    // no grpcStatus: the code is the client's own, not a status the server sent
    return new WorkloadApiError("ERR_WORKLOAD_API_BAD_RESPONSE", `${what}: the Workload API at ${at} sent a malformed gRPC stream (${detail})`, { cause: err });
  }
  switch (status) {
    case Code.Canceled:
      if (aborted) return new WorkloadApiError("ERR_WORKLOAD_API_ABORTED", `${what}: aborted by the caller`, opts);
      return new WorkloadApiError("ERR_WORKLOAD_API_UNAVAILABLE", `${what}: the connection to the Workload API at ${at} was lost (${detail})`, opts);
    case Code.InvalidArgument:
      return new WorkloadApiError("ERR_WORKLOAD_API_INVALID_ARGUMENT", `${what}: the Workload API at ${at} rejected the request as invalid (${detail}); this is not retried`, opts);
    case Code.PermissionDenied:
      return new WorkloadApiError("ERR_WORKLOAD_API_PERMISSION_DENIED", `${what}: the Workload API at ${at} has no identity for this workload (${detail}); check the registration entries for this process`, opts);
    case Code.Unavailable:
      return new WorkloadApiError("ERR_WORKLOAD_API_UNAVAILABLE", `${what}: the Workload API at ${at} is unavailable (${detail})`, opts);
    case Code.DeadlineExceeded:
      return new WorkloadApiError("ERR_WORKLOAD_API_TIMEOUT", `${what}: no answer from the Workload API at ${at} in time (${detail})`, opts);
    case Code.Internal:
      if (/ENOENT|ECONNREFUSED|ENOTSOCK/.test(detail)) {
        return new WorkloadApiError("ERR_WORKLOAD_API_UNAVAILABLE", `${what}: cannot reach the Workload API at ${at} (${detail}); is the agent running?`, opts);
      }
      if (/missing status|stream closed|session closed|ECONNRESET|EPIPE/.test(detail)) {
        return new WorkloadApiError("ERR_WORKLOAD_API_UNAVAILABLE", `${what}: the connection to the Workload API at ${at} was lost (${detail})`, opts);
      }
      break;
  }
  return new WorkloadApiError("ERR_WORKLOAD_API_CALL_FAILED", `${what}: the Workload API at ${at} failed with ${Code[status] ?? status} (${detail})`, opts);
}

/** True when the status came from the server (a `grpc-status` header or trailer), not from the client. */
function statusFromServer(ce: ConnectError): boolean {
  return ce.metadata.has("grpc-status") || ce.metadata.has("grpc-status-details-bin");
}

/**
 * True for the errors the client raises itself on a stream it cannot read: a frame whose
 * length prefix promises more bytes than arrive, a frame that is not protobuf, a compressed
 * frame without negotiated compression. Connect-ES reports the first as InvalidArgument,
 * which must not be mistaken for the agent's (fatal) InvalidArgument status.
 */
function isMalformedStream(status: Code, detail: string): boolean {
  if (status === Code.InvalidArgument) return true;
  return status === Code.Internal && /^(protocol error: (?!missing status)|parse binary:|received compressed envelope|invalid envelope|unexpected end flag)/.test(detail);
}

function isDenoPermission(detail: string): boolean {
  return /^Requires \w+ access to /.test(detail) || /^NotCapable\b/.test(detail);
}
