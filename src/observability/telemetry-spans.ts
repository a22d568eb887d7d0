// The spans of the OpenTelemetry binding, as a SpiffeTrace (internal): one client span per
// Workload API call (OpenTelemetry RPC conventions), and, when asked for, one span per peer
// verification with the peer's SPIFFE ID. Never keys, certificates or tokens.
import { SPAN_KIND_CLIENT, SPAN_KIND_INTERNAL, SPAN_STATUS_ERROR, type SpanLike, type TelemetryAttributes, type TracerLike } from "./otel-api.ts";
import type { SpiffeTrace } from "./spiffe-trace.ts";
import { ATTR, SPAN } from "./telemetry-names.ts";

/** Which spans to make. */
export interface SpanChoice {
  readonly workloadApiCalls: boolean;
  readonly peerVerification: boolean;
}

/** `server.address` (and port) and `network.transport` of a Workload API endpoint. */
function endpointAttributes(endpoint: string): TelemetryAttributes {
  if (endpoint.startsWith("unix://")) return { [ATTR.networkTransport]: "unix", [ATTR.serverAddress]: endpoint.slice("unix://".length) };
  const url = new URL(endpoint.replace(/^tcp:/, "http:"));
  return { [ATTR.networkTransport]: "tcp", [ATTR.serverAddress]: url.hostname.replace(/^\[|\]$/g, ""), [ATTR.serverPort]: Number(url.port) };
}

const isSpan = (context: unknown): context is SpanLike => typeof context === "object" && context !== null && typeof (context as SpanLike).end === "function";

/** The span callbacks of `tracer`. */
export function createSpansTrace(tracer: TracerLike, choice: SpanChoice): SpiffeTrace {
  const trace: SpiffeTrace = {};
  if (choice.workloadApiCalls) {
    trace.workloadApiCallStart = (info): SpanLike =>
      tracer.startSpan(`${info.service}/${info.method}`, {
        kind: SPAN_KIND_CLIENT,
        attributes: { [ATTR.rpcSystem]: "grpc", [ATTR.rpcService]: info.service, [ATTR.rpcMethod]: info.method, ...endpointAttributes(info.endpoint) },
      });
    trace.workloadApiCallEnd = (info, span): void => {
      if (!isSpan(span)) return;
      span.setAttribute(ATTR.grpcStatus, info.grpcStatus);
      if (info.error) {
        span.setAttribute(ATTR.errorType, String(info.grpcStatus));
        span.setStatus({ code: SPAN_STATUS_ERROR, message: info.error.name });
      }
      span.end();
    };
  }
  if (choice.peerVerification) {
    trace.handshakeStart = (info): SpanLike =>
      tracer.startSpan(SPAN.verifyPeer, {
        kind: SPAN_KIND_INTERNAL,
        attributes: {
          [ATTR.side]: info.side,
          [ATTR.mode]: info.mode,
          ...(info.remoteAddress ? { [ATTR.peerAddress]: info.remoteAddress } : {}),
          ...(info.remotePort ? { [ATTR.peerPort]: info.remotePort } : {}),
        },
      });
    trace.handshakeVerified = (info, span): void => {
      if (!isSpan(span)) return;
      span.setAttribute(ATTR.peerId, info.peerId.toString());
      span.setAttribute(ATTR.outcome, "accepted");
      span.end();
    };
    trace.handshakeRefused = (info, span): void => {
      if (!isSpan(span)) return;
      if (info.peerId) span.setAttribute(ATTR.peerId, info.peerId.toString());
      span.setAttribute(ATTR.outcome, "refused");
      span.setAttribute(ATTR.errorType, info.code);
      span.setStatus({ code: SPAN_STATUS_ERROR, message: info.code });
      span.end();
    };
  }
  return trace;
}
