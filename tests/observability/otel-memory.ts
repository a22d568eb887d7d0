// In-memory OpenTelemetry for the observability suites: a MeterProvider whose metrics are
// read on demand and a TracerProvider that keeps finished spans, wired to enableTelemetry.
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, type MetricData, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { enableTelemetry, type Telemetry, type TelemetryOptions } from "../../mod.ts";

type Attributes = Record<string, unknown>;

export interface MemoryTelemetry {
  readonly telemetry: Telemetry;
  /** The latest value of every data point of `name` (sums, gauges; histograms as their count), with its attributes. */
  points(name: string): Promise<{ attributes: Attributes; value: number; sum?: number }[]>;
  /** The total of `name` over the points whose attributes include `match`. */
  total(name: string, match?: Attributes): Promise<number>;
  /** Finished spans. */
  spans(): readonly ReadableSpan[];
  dispose(): Promise<void>;
}

const matches = (attributes: Attributes, match: Attributes): boolean => Object.entries(match).every(([k, v]) => attributes[k] === v);

/** Enables the SDK's telemetry on fresh in-memory providers. */
export async function memoryTelemetry(options: Omit<TelemetryOptions, "meterProvider" | "tracerProvider"> = {}): Promise<MemoryTelemetry> {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const telemetry = await enableTelemetry({ ...options, meterProvider, tracerProvider });
  const metric = async (name: string): Promise<MetricData | undefined> => {
    metricExporter.reset();
    await reader.forceFlush();
    const all = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    return all.find((m) => m.descriptor.name === name);
  };
  const points: MemoryTelemetry["points"] = async (name) => {
    const m = await metric(name);
    if (!m) return [];
    return m.dataPoints.map((p) => {
      const attributes = p.attributes as Attributes;
      if (m.dataPointType === DataPointType.HISTOGRAM) {
        const h = p.value as { count: number; sum?: number };
        return { attributes, value: h.count, sum: h.sum };
      }
      return { attributes, value: p.value as number };
    });
  };
  return {
    telemetry,
    points,
    async total(name, match = {}) {
      return (await points(name)).filter((p) => matches(p.attributes, match)).reduce((a, p) => a + p.value, 0);
    },
    spans: () => spanExporter.getFinishedSpans(),
    async dispose() {
      telemetry.disable();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}
