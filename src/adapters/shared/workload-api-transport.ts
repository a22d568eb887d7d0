// The default Workload API transport of the runtime entries: Connect-ES gRPC over node:http2
// (Node, Bun and Deno alike) to a Unix socket or TCP endpoint.
import { Code, ConnectError } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as net from "node:net";
import type { WorkloadApiAddress } from "../../core/workloadapi/endpoint-address.ts";
import { reportWorkloadApiCalls } from "../../observability/workload-api-events.ts";
import { describeAddress, type WorkloadApiConnection } from "../../workloadapi/workload-api-transport.ts";

/**
 * Opens (lazily: nothing connects before the first call) a gRPC transport over HTTP/2 to the
 * Workload API at `address`; `close()` ends the session and every call on it.
 */
export function connectWorkloadApi(address: WorkloadApiAddress): WorkloadApiConnection {
  const createConnection = address.kind === "unix" ? (): net.Socket => net.connect(address.path) : (): net.Socket => net.connect(address.port, address.host);
  const baseUrl = address.kind === "unix" ? "http://localhost" : `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
  const sessionManager = new Http2SessionManager(baseUrl, { pingIntervalMs: 30_000 }, { createConnection });
  const endpoint = describeAddress(address);
  return {
    // every call reported to the trace hooks (addSpiffeTrace, enableTelemetry)
    transport: createGrpcTransport({ baseUrl, sessionManager, interceptors: [reportWorkloadApiCalls(endpoint)] }),
    endpoint,
    close: () => sessionManager.abort(new ConnectError("Workload API client closed", Code.Canceled)),
  };
}
