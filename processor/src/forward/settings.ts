import type { ForwardExporterConfig } from '../config/schema.js';
import type { OtlpSignal } from '../otlp/index.js';
import type { ExporterOptions } from './exporter.js';
import { GrpcSender } from './senders/grpc-sender.js';
import { HttpSender } from './senders/http-sender.js';
import type { Sender } from './senders/sender.js';
import type { TraceHoldLimits } from './trace-hold.js';

const mib = 1024 * 1024;

type EndpointConfig = Pick<ForwardExporterConfig, 'endpoint' | 'traces_endpoint' | 'logs_endpoint' | 'metrics_endpoint'>;

/**
 * A signal's URL on an HTTP exporter, as the OTLP exporters resolve it: the signal's own endpoint as it is
 * (OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_ENDPOINT), or `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) with
 * /v1/{signal} appended. Null when neither is set: the exporter does not take that signal.
 */
export function signalUrl(config: EndpointConfig, signal: OtlpSignal): URL | null {
  const own = { traces: config.traces_endpoint, logs: config.logs_endpoint, metrics: config.metrics_endpoint }[signal];
  if (own !== undefined) return new URL(own);
  if (config.endpoint === undefined) return null;
  const base = new URL(config.endpoint);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/v1/${signal}`;
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

/**
 * Spans are bounded in count and bytes and batched. Logs and metrics requests pass through one by one (the batch
 * settings do not apply), in a queue of their own per signal bounded by `queue.max_mib` alone.
 */
export function exporterOptions(config: ForwardExporterConfig, name: string, signal: OtlpSignal): ExporterOptions {
  return {
    name,
    signal,
    queue: {
      maxItems: signal === 'traces' ? config.queue.max_spans : Number.POSITIVE_INFINITY,
      maxBytes: config.queue.max_mib * mib,
      consumers: config.queue.consumers,
    },
    batch: { maxItems: config.batch.max_spans, maxBytes: config.batch.max_mib * mib, timeoutMs: config.batch.timeout },
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

/** The sender of one signal, or null when the exporter does not take it (HTTP with no URL for it; gRPC takes all). */
export function createSender(config: ForwardExporterConfig, signal: OtlpSignal): Sender | null {
  const common = { gzip: config.compression === 'gzip', headers: config.headers, timeoutMs: config.timeout };
  if (config.protocol === 'grpc') return new GrpcSender({ ...common, signal, ...grpcTarget(config.endpoint!) });
  const url = signalUrl(config, signal);
  if (url === null) return null;
  return new HttpSender({
    ...common,
    url,
    // Spans can be re-encoded as OTLP/JSON; logs and metrics are passed on in the encoding they came in.
    format: signal !== 'traces' ? 'as-received' : config.protocol === 'http/json' ? 'json' : 'protobuf',
    maxSockets: config.queue.consumers,
  });
}
