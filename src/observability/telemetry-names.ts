// Every metric, span and attribute name the SDK's OpenTelemetry binding emits (internal;
// docs/observability.md lists them). OpenTelemetry semantic conventions where they exist
// (rpc.*, error.type, network.*, server.address), spiffe.* otherwise.

export const METRIC = {
  handshakes: "spiffe.tls.handshakes",
  authorizationRefusals: "spiffe.authorization.refusals",
  verificationDuration: "spiffe.tls.peer_verification.duration",
  rotationHandshakeDelay: "spiffe.svid.rotation.handshake_delay",
  reconnects: "spiffe.workload_api.reconnects",
  streamErrors: "spiffe.workload_api.stream_errors",
  refusedUpdates: "spiffe.workload_api.refused_updates",
  svidUpdates: "spiffe.svid.updates",
  bundleUpdates: "spiffe.bundle.updates",
  svidTimeToExpiry: "spiffe.svid.time_to_expiry",
  bundleAge: "spiffe.bundle.age",
} as const;

export const SPAN = {
  verifyPeer: "spiffe.tls.verify_peer",
} as const;

export const ATTR = {
  side: "spiffe.tls.side",
  mode: "spiffe.tls.mode",
  outcome: "spiffe.tls.outcome",
  errorType: "error.type",
  peerId: "spiffe.peer.id",
  spiffeId: "spiffe.id",
  trustDomain: "spiffe.trust_domain",
  bundleType: "spiffe.bundle.type",
  rpcSystem: "rpc.system",
  rpcService: "rpc.service",
  rpcMethod: "rpc.method",
  grpcStatus: "rpc.grpc.status_code",
  serverAddress: "server.address",
  serverPort: "server.port",
  networkTransport: "network.transport",
  peerAddress: "network.peer.address",
  peerPort: "network.peer.port",
} as const;
