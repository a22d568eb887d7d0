// enableTelemetry: the OpenTelemetry binding. Nothing here imports @opentelemetry/api; it is
// loaded (dynamically) only when a provider is not passed in.
import { ConfigError } from "../core/errors/config-error.ts";
import { importOptional } from "../core/lib/optional-dependency.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";
import { describeType } from "../core/lib/describe-type.ts";
import type { MeterProviderLike, TracerProviderLike } from "./otel-api.ts";
import type { SpiffeTrace } from "./spiffe-trace.ts";
import { createMetricsTrace } from "./telemetry-metrics.ts";
import { createSpansTrace } from "./telemetry-spans.ts";
import { addSpiffeTrace } from "./trace-registry.ts";

/** The instrumentation scope name of every meter and tracer the SDK uses. */
export const INSTRUMENTATION_SCOPE = "@spiffe-ts/sdk";

/**
 * Options of {@link enableTelemetry}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface TelemetryOptions {
  /** Where metrics go. Default: the global provider of `@opentelemetry/api` (`metrics.getMeterProvider()`). `null`: no metrics. */
  readonly meterProvider?: MeterProviderLike | null;
  /** Where spans go. Default: the global provider of `@opentelemetry/api` (`trace.getTracerProvider()`). `null`: no spans. */
  readonly tracerProvider?: TracerProviderLike | null;
  /** A span around each Workload API call (gRPC client span). Default `true`. */
  readonly workloadApiSpans?: boolean;
  /** A span around each peer verification, with the peer's SPIFFE ID (one per connection: opt in). Default `false`. */
  readonly peerVerificationSpans?: boolean;
}

/**
 * The running binding: {@link Telemetry.disable} stops it.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface Telemetry {
  /** Stops recording (the instruments stay registered with the provider, reporting nothing new). Idempotent. */
  disable(): void;
}

/** The slice of `@opentelemetry/api` used when a provider is not passed in. */
interface OpenTelemetryApi {
  readonly metrics: { getMeterProvider(): MeterProviderLike };
  readonly trace: { getTracerProvider(): TracerProviderLike };
}

/** The module name, in a variable so that bundlers do not try to resolve the optional peer. */
const OPENTELEMETRY_API = "@opentelemetry/api";

function loadApi(): Promise<OpenTelemetryApi> {
  return importOptional(() => import(OPENTELEMETRY_API) as Promise<OpenTelemetryApi>, `${OPENTELEMETRY_API}@^1.9.0`, "enableTelemetry without meterProvider and tracerProvider");
}

function checkProvider(value: unknown, option: string, method: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "object" || typeof (value as Record<string, unknown>)[method] !== "function") throw new ConfigError(option, `must be an OpenTelemetry provider with ${method}(), or null`);
}

/**
 * Sends the SDK's metrics and spans to OpenTelemetry, for the whole process: peer
 * verifications of every server and client (accepted and refused, by reason), Workload API
 * reconnects, stream errors, updates and discarded responses, the SVID's remaining lifetime
 * and the bundles' age, and spans around Workload API calls (and, opted in, around peer
 * verifications). Names: docs/observability.md.
 *
 * `@opentelemetry/api` is an optional peer dependency: it is imported only here, only when a
 * provider is not passed in. Without this call the SDK records nothing and loads nothing.
 *
 * Exported from `@spiffe-ts/sdk` (and `/node`, `/bun`, `/deno`).
 *
 * @example With the global providers your OpenTelemetry SDK registered
 * ```ts
 * import { enableTelemetry } from "@spiffe-ts/sdk";
 * await enableTelemetry();
 * ```
 * @example With explicit providers (nothing is imported)
 * ```ts
 * import { MeterProvider } from "@opentelemetry/sdk-metrics";
 * import { enableTelemetry } from "@spiffe-ts/sdk";
 * const telemetry = await enableTelemetry({ meterProvider: new MeterProvider({ readers: [reader] }), tracerProvider: null });
 * telemetry.disable();
 * ```
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` for an invalid provider.
 * @throws {MissingDependencyError} `ERR_MISSING_DEPENDENCY` when a provider is not given and `@opentelemetry/api` is not installed.
 */
export async function enableTelemetry(options: TelemetryOptions = {}): Promise<Telemetry> {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `enableTelemetry: options must be an object, got ${describeType(options)}`);
  checkProvider(options.meterProvider, "meterProvider", "getMeter");
  checkProvider(options.tracerProvider, "tracerProvider", "getTracer");
  let { meterProvider, tracerProvider } = options;
  if (meterProvider === undefined || tracerProvider === undefined) {
    const api = await loadApi();
    meterProvider ??= api.metrics.getMeterProvider();
    tracerProvider ??= api.trace.getTracerProvider();
  }
  const traces: SpiffeTrace[] = [];
  let stopMetrics = (): void => {};
  if (meterProvider) {
    const metrics = createMetricsTrace(meterProvider.getMeter(INSTRUMENTATION_SCOPE), Date.now);
    traces.push(metrics.trace);
    stopMetrics = metrics.stop;
  }
  if (tracerProvider) {
    traces.push(createSpansTrace(tracerProvider.getTracer(INSTRUMENTATION_SCOPE), { workloadApiCalls: options.workloadApiSpans ?? true, peerVerification: options.peerVerificationSpans ?? false }));
  }
  const removers = traces.map(addSpiffeTrace);
  let disabled = false;
  return {
    disable(): void {
      if (disabled) return;
      disabled = true;
      for (const remove of removers) remove();
      stopMetrics();
    },
  };
}
