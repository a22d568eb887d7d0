// What the Workload API client needs from a transport (Web APIs only: the transport itself is
// given, a Connect `Transport` or a factory; the runtime entries supply one over node:http2),
// plus the mapping of transport failures to WorkloadApiError.
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import type { WorkloadApiAddress } from "../core/workloadapi/endpoint-address.ts";

/**
 * An open Connect transport to one Workload API endpoint, as a
 * {@link WorkloadApiTransportFactory} returns it.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface WorkloadApiConnection {
  /** The Connect transport the calls go over (gRPC, HTTP/2). */
  readonly transport: Transport;
  /** The endpoint, for messages and logs (e.g. `unix:///run/spire/agent.sock`). */
  readonly endpoint: string;
  /** Ends the connection and every call on it, so the process can exit (called by `client.close()`). */
  close?(): void;
}

/**
 * Opens (preferably lazily: nothing should connect before the first call) a
 * {@link WorkloadApiConnection} to the endpoint at `address`. The runtime entries
 * (`@spiffe-ts/sdk/node`, `/bun`, `/deno`) supply one over `node:http2` to a Unix socket or TCP.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type WorkloadApiTransportFactory = (address: WorkloadApiAddress) => WorkloadApiConnection;

/** What the client keeps of its transport (internal). */
export interface OpenTransport {
  readonly transport: Transport;
  readonly endpoint: string;
  /** Known when the client resolved an address (for runtime-permission hints). */
  readonly address: WorkloadApiAddress | undefined;
  close(): void;
}

/** The security header every Workload API request carries (Workload Endpoint spec §3). */
export const SECURITY_HEADER = "workload.spiffe.io";

/** True when `value` has the methods of a Connect `Transport` (a structural check). */
export function isConnectTransport(value: unknown): value is Transport {
  return typeof value === "object" && value !== null && typeof (value as Transport).unary === "function" && typeof (value as Transport).stream === "function";
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
export function toWorkloadApiError(err: unknown, what: string, connection: Pick<OpenTransport, "endpoint" | "address">, aborted: boolean): WorkloadApiError {
  if (err instanceof WorkloadApiError) return err;
  const ce = ConnectError.from(err);
  const status = ce.code;
  const detail = ce.rawMessage;
  const at = connection.endpoint;
  const opts = { cause: err, grpcStatus: status };
  if (isDenoPermission(detail)) {
    const address = connection.address;
    const flags =
      address === undefined ? "the permissions your transport needs" : address.kind === "unix" ? `--allow-read --allow-write=${address.path} --allow-net=unix:${address.path}` : `--allow-read --allow-net=${address.host}:${address.port}`;
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

/** `transport` with the Workload API security header on every call (whatever built the transport). */
export function withSecurityHeader(transport: Transport): Transport {
  const withHeader = (header: HeadersInit | undefined): Headers => {
    const out = new Headers(header);
    out.set(SECURITY_HEADER, "true");
    return out;
  };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) => transport.unary(method, signal, timeoutMs, withHeader(header), input, contextValues),
    stream: (method, signal, timeoutMs, header, input, contextValues) => transport.stream(method, signal, timeoutMs, withHeader(header), input, contextValues),
  };
}
