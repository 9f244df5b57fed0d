import type { ForwardExporterConfig } from '../config/schema.js';
import type { ExporterOptions } from './exporter.js';
import { GrpcSender } from './senders/grpc-sender.js';
import { HttpSender } from './senders/http-sender.js';
import type { Sender } from './senders/sender.js';
import type { TraceHoldLimits } from './trace-hold.js';

const mib = 1024 * 1024;

/**
 * The traces URL of an HTTP exporter, as the OTLP exporters resolve it: `traces_endpoint` as it is
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) with /v1/traces appended.
 */
export function tracesUrl(config: Pick<ForwardExporterConfig, 'endpoint' | 'traces_endpoint'>): URL {
  if (config.traces_endpoint !== undefined) return new URL(config.traces_endpoint);
  const base = new URL(config.endpoint!);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/v1/traces`;
  return base;
}

/** host:port of a gRPC endpoint (the port defaults to 4317) and whether it uses TLS (https://). */
export function grpcTarget(endpoint: string): { target: string; secure: boolean } {
  const url = new URL(endpoint);
  return { target: `${url.hostname}:${url.port === '' ? '4317' : url.port}`, secure: url.protocol === 'https:' };
}

/** Collector-style component name: otlphttp/host:port or otlp/host:port (the gRPC exporter's name). */
export function defaultName(config: ForwardExporterConfig): string {
  const url = new URL(config.endpoint ?? config.traces_endpoint!);
  return `${config.protocol === 'grpc' ? 'otlp' : 'otlphttp'}/${url.host}`;
}

export function exporterOptions(config: ForwardExporterConfig, name: string): ExporterOptions {
  return {
    name,
    queue: { maxSpans: config.queue.max_spans, maxBytes: config.queue.max_mib * mib, consumers: config.queue.consumers },
    batch: { maxSpans: config.batch.max_spans, maxBytes: config.batch.max_mib * mib, timeoutMs: config.batch.timeout },
    retry: {
      enabled: config.retry.enabled,
      initialIntervalMs: config.retry.initial_interval,
      maxIntervalMs: config.retry.max_interval,
      maxElapsedMs: config.retry.max_elapsed_time,
      multiplier: config.retry.multiplier,
      randomizationFactor: config.retry.randomization_factor,
    },
  };
}

export function holdLimits(config: ForwardExporterConfig): TraceHoldLimits {
  return { maxSpans: config.hold.max_spans, maxBytes: config.hold.max_mib * mib, maxWaitMs: config.hold.max_wait };
}

export function createSender(config: ForwardExporterConfig): Sender {
  const common = { gzip: config.compression === 'gzip', headers: config.headers, timeoutMs: config.timeout };
  if (config.protocol === 'grpc') return new GrpcSender({ ...common, ...grpcTarget(config.endpoint!) });
  return new HttpSender({
    ...common,
    url: tracesUrl(config),
    format: config.protocol === 'http/json' ? 'json' : 'protobuf',
    maxSockets: config.queue.consumers,
  });
}
