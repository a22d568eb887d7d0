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
  readonly description?: string;
  readonly unit?: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

/**
 * OpenTelemetry `Counter`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface CounterLike {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * OpenTelemetry `Histogram`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface HistogramLike {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * OpenTelemetry `ObservableResult`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface ObservableResultLike {
  observe(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * OpenTelemetry `ObservableGauge`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface ObservableGaugeLike {
  addCallback(callback: (result: ObservableResultLike) => void): void;
  removeCallback(callback: (result: ObservableResultLike) => void): void;
}

/**
 * OpenTelemetry `Meter`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableGaugeLike;
}

/**
 * An OpenTelemetry `MeterProvider` (`metrics.getMeterProvider()`, or the SDK's `MeterProvider`).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/**
 * OpenTelemetry `Span` (the methods the SDK calls).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/**
 * OpenTelemetry `Tracer`.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface TracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: TelemetryAttributes }): SpanLike;
}

/**
 * An OpenTelemetry `TracerProvider` (`trace.getTracerProvider()`, or the SDK's provider).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): TracerLike;
}

/** `SpanKind.CLIENT` and `SpanKind.INTERNAL` of `@opentelemetry/api` (stable values). */
export const SPAN_KIND_INTERNAL = 0;
export const SPAN_KIND_CLIENT = 2;
/** `SpanStatusCode.ERROR` of `@opentelemetry/api`. */
export const SPAN_STATUS_ERROR = 2;
