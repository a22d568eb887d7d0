// The metrics of the OpenTelemetry binding, as a SpiffeTrace (internal): counters,
// histograms and the two gauges, with the little state the gauges and the rotation delay need.
import type { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import type { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { normalizeSerial } from "./handshake-events.ts";
import type { MeterLike, ObservableResultLike, TelemetryAttributes } from "./otel-api.ts";
import type { HandshakeStartInfo, SourceUpdateInfo, SpiffeTrace } from "./spiffe-trace.ts";
import { ATTR, METRIC } from "./telemetry-names.ts";

/** Seconds-scale buckets for a verification (a cached peer takes microseconds, a cold chain milliseconds). */
const VERIFICATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Seconds-scale buckets from a rotation to the first handshake with the new SVID. */
const ROTATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Rotations waiting for their first handshake, at most (older ones are forgotten). */
const MAX_PENDING_ROTATIONS = 16;

/** The metrics trace and what stops its gauges. */
export interface MetricsTrace {
  readonly trace: SpiffeTrace;
  stop(): void;
}

interface Tracked<B> {
  bundle: B;
  changedAt: number;
}

/** Builds the instruments on `meter`; `now` is the wall clock (ms) the gauges use. */
export function createMetricsTrace(meter: MeterLike, now: () => number): MetricsTrace {
  const handshakes = meter.createCounter(METRIC.handshakes, { unit: "{handshake}", description: "Peers the SDK verified after a TLS handshake, by outcome (accepted, refused) and reason (error.type)" });
  const authzRefusals = meter.createCounter(METRIC.authorizationRefusals, { unit: "{refusal}", description: "Peers with a valid X.509-SVID whose SPIFFE ID the authorizer refused" });
  const verification = meter.createHistogram(METRIC.verificationDuration, { unit: "s", description: "Time to verify and authorize a peer's X.509-SVID after the TLS handshake", advice: { explicitBucketBoundaries: VERIFICATION_BUCKETS } });
  const rotationDelay = meter.createHistogram(METRIC.rotationHandshakeDelay, { unit: "s", description: "Time from receiving a rotated X.509-SVID to the first handshake that presented it", advice: { explicitBucketBoundaries: ROTATION_BUCKETS } });
  const reconnects = meter.createCounter(METRIC.reconnects, { unit: "{reconnect}", description: "Workload API watch streams reopened after a failure or an end" });
  const streamErrors = meter.createCounter(METRIC.streamErrors, { unit: "{error}", description: "Workload API watch streams that failed or ended, by gRPC status" });
  const refusedUpdates = meter.createCounter(METRIC.refusedUpdates, { unit: "{update}", description: "Workload API responses discarded as malformed (the last good state stays)" });
  const svidUpdates = meter.createCounter(METRIC.svidUpdates, { unit: "{update}", description: "New default X.509-SVIDs received from the Workload API (first one and rotations)" });
  const bundleUpdates = meter.createCounter(METRIC.bundleUpdates, { unit: "{update}", description: "Changed trust bundles received from the Workload API, by trust domain" });
  const timeToExpiry = meter.createObservableGauge(METRIC.svidTimeToExpiry, { unit: "s", description: "Seconds until the current default X.509-SVID expires (negative once expired)" });
  const bundleAge = meter.createObservableGauge(METRIC.bundleAge, { unit: "s", description: "Seconds since the trust bundle of a trust domain last changed" });

  const svids = new Map<string, { serial: string; expiresAt: number }>(); // by SPIFFE ID
  const pendingRotations = new Map<string, number>(); // normalized serial → performance.now() of arrival
  const x509Bundles = new Map<string, Tracked<X509Bundle>>();
  const jwtBundles = new Map<string, Tracked<JwtBundle>>();

  const observeExpiry = (result: ObservableResultLike): void => {
    const t = now();
    for (const [id, s] of svids) result.observe((s.expiresAt - t) / 1000, { [ATTR.spiffeId]: id });
  };
  const observeAge = (result: ObservableResultLike): void => {
    const t = now();
    for (const [td, b] of x509Bundles) result.observe((t - b.changedAt) / 1000, { [ATTR.bundleType]: "x509", [ATTR.trustDomain]: td });
    for (const [td, b] of jwtBundles) result.observe((t - b.changedAt) / 1000, { [ATTR.bundleType]: "jwt", [ATTR.trustDomain]: td });
  };
  timeToExpiry.addCallback(observeExpiry);
  bundleAge.addCallback(observeAge);

  function follow<B extends { equals(other: B): boolean }>(tracked: Map<string, Tracked<B>>, bundles: ReadonlyMap<string, B>, type: "x509" | "jwt"): void {
    for (const td of tracked.keys()) if (!bundles.has(td)) tracked.delete(td);
    for (const [td, bundle] of bundles) {
      const seen = tracked.get(td);
      if (seen?.bundle.equals(bundle)) continue;
      tracked.set(td, { bundle, changedAt: now() });
      bundleUpdates.add(1, { [ATTR.bundleType]: type, [ATTR.trustDomain]: td });
    }
  }

  function followSvid(svid: { readonly id: { toString(): string }; readonly serialNumber: string; readonly expiresAt: Date }): void {
    const id = svid.id.toString();
    const serial = normalizeSerial(svid.serialNumber);
    const seen = svids.get(id);
    svids.set(id, { serial, expiresAt: svid.expiresAt.getTime() });
    if (seen?.serial === serial) return;
    svidUpdates.add(1, { [ATTR.spiffeId]: id });
    if (seen === undefined) return; // the first SVID of this ID is no rotation
    pendingRotations.delete(seen.serial);
    if (pendingRotations.size >= MAX_PENDING_ROTATIONS) pendingRotations.delete(pendingRotations.keys().next().value!);
    pendingRotations.set(serial, performance.now());
  }

  const tls = (info: HandshakeStartInfo): TelemetryAttributes => ({ [ATTR.side]: info.side, [ATTR.mode]: info.mode });

  const trace: SpiffeTrace = {
    handshakeVerified(info): void {
      const attributes = { ...tls(info), [ATTR.outcome]: "accepted" };
      handshakes.add(1, attributes);
      verification.record(info.durationMs / 1000, attributes);
      if (pendingRotations.size === 0) return;
      const serial = info.localSerialNumber();
      const arrived = serial === undefined ? undefined : pendingRotations.get(serial);
      if (arrived === undefined) return;
      pendingRotations.delete(serial!);
      rotationDelay.record((performance.now() - arrived) / 1000, { [ATTR.side]: info.side });
    },
    handshakeRefused(info): void {
      const attributes = { ...tls(info), [ATTR.outcome]: "refused" };
      handshakes.add(1, { ...attributes, [ATTR.errorType]: info.code });
      verification.record(info.durationMs / 1000, attributes);
      if (info.peerId !== undefined) authzRefusals.add(1, { ...tls(info), [ATTR.errorType]: info.code });
    },
    sourceUpdated(info: SourceUpdateInfo): void {
      if (info.kind === "jwt-bundles") return follow(jwtBundles, info.bundles, "jwt");
      if (info.kind === "x509-context") followSvid(info.svid);
      follow(x509Bundles, info.bundles, "x509");
    },
    updateRefused(info): void {
      refusedUpdates.add(1, { [ATTR.rpcMethod]: info.method, [ATTR.errorType]: info.code });
    },
    streamError(info): void {
      streamErrors.add(1, { [ATTR.rpcMethod]: info.method, [ATTR.errorType]: info.code, ...(info.grpcStatus === undefined ? {} : { [ATTR.grpcStatus]: info.grpcStatus }) });
      if (info.retrying) reconnects.add(1, { [ATTR.rpcMethod]: info.method });
      // the agent took the identity away: there is no current SVID to count down
      if (info.method === "FetchX509SVID" && info.code === "ERR_WORKLOAD_API_PERMISSION_DENIED") svids.clear();
    },
  };
  return {
    trace,
    stop(): void {
      timeToExpiry.removeCallback(observeExpiry);
      bundleAge.removeCallback(observeAge);
    },
  };
}
