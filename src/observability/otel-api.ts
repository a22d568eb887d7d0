// The parts of the OpenTelemetry API the SDK uses, declared structurally so that neither
// the SDK's code nor its published types import `@opentelemetry/api` (an optional peer).
// The providers of `@opentelemetry/api` (and of the OpenTelemetry SDKs) fit these types.

/**
 * Attribute values the SDK sets on metrics and spans.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/**
 * Options of an instrument (OpenTelemetry `MetricOptions`).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface InstrumentOptions {
  /** What the instrument measures. */
  readonly description?: string;
  /** The unit, e.g. `"ms"`. */
  readonly unit?: string;
  /** Hints for the SDK, e.g. histogram bucket boundaries. */
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

/**
 * OpenTelemetry `Counter`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface CounterLike {
  /** Adds `value` to the counter. */
  add(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * OpenTelemetry `Histogram`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface HistogramLike {
  /** Records one measurement. */
  record(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * OpenTelemetry `ObservableResult`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface ObservableResultLike {
  /** Reports the gauge's current value. */
  observe(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * OpenTelemetry `ObservableGauge`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface ObservableGaugeLike {
  /** Registers a callback that observes the gauge at each collection. */
  addCallback(callback: (result: ObservableResultLike) => void): void;
  /** Removes a callback registered with `addCallback`. */
  removeCallback(callback: (result: ObservableResultLike) => void): void;
}

/**
 * OpenTelemetry `Meter`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface MeterLike {
  /** Creates a counter. */
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  /** Creates a histogram. */
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  /** Creates an observable gauge. */
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableGaugeLike;
}

/**
 * An OpenTelemetry `MeterProvider` (`metrics.getMeterProvider()`, or the SDK's `MeterProvider`).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface MeterProviderLike {
  /** The meter of an instrumentation scope. */
  getMeter(name: string, version?: string): MeterLike;
}

/**
 * OpenTelemetry `Span` (the methods the SDK calls).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface SpanLike {
  /** Sets an attribute of the span. */
  setAttribute(key: string, value: string | number | boolean): unknown;
  /** Sets the span's status (OpenTelemetry `SpanStatusCode`). */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Ends the span. */
  end(): void;
}

/**
 * OpenTelemetry `Tracer`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface TracerLike {
  /** Starts a span (OpenTelemetry `SpanKind` in `kind`). */
  startSpan(name: string, options?: { kind?: number; attributes?: TelemetryAttributes }): SpanLike;
}

/**
 * An OpenTelemetry `TracerProvider` (`trace.getTracerProvider()`, or the SDK's provider).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface TracerProviderLike {
  /** The tracer of an instrumentation scope. */
  getTracer(name: string, version?: string): TracerLike;
}

/** `SpanKind.CLIENT` and `SpanKind.INTERNAL` of `@opentelemetry/api` (stable values). */
export const SPAN_KIND_INTERNAL = 0;
export const SPAN_KIND_CLIENT = 2;
/** `SpanStatusCode.ERROR` of `@opentelemetry/api`. */
export const SPAN_STATUS_ERROR = 2;
