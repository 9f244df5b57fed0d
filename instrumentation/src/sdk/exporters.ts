import { diag } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';
import { RetryingGrpcExporter } from './grpc-retry.js';

// Only the exporter in use is loaded: the gRPC one alone pulls in @grpc/grpc-js.
const load = createRequire(import.meta.url);

type Env = Record<string, string | undefined>;

/**
 * The span exporters named by `OTEL_TRACES_EXPORTER` (otlp — the default —, console, none) with the protocol of
 * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL` (http/protobuf — the default —, http/json,
 * grpc). Endpoint, headers, compression and timeout are read from the standard variables by the exporters themselves.
 */
export function createSpanExportersFromEnv(env: Env = process.env): SpanExporter[] {
  const names = listFromEnv(env['OTEL_TRACES_EXPORTER']) ?? ['otlp'];
  if (names.includes('none')) return [];
  const exporters: SpanExporter[] = [];
  for (const name of new Set(names)) {
    if (name === 'otlp') exporters.push(createOtlpExporter(env));
    else if (name === 'console') exporters.push(consoleExporter());
    else diag.warn(`OTEL_TRACES_EXPORTER value "${name}" is not supported by @genai-chargeback/instrumentation; use otlp, console or none`);
  }
  return exporters;
}

/** The OTLP exporters' default `OTEL_EXPORTER_OTLP_TIMEOUT`. */
const OTLP_TIMEOUT_MS = 10_000;

function createOtlpExporter(env: Env): SpanExporter {
  const protocol = (env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? '').trim() || 'http/protobuf';
  const module = OTLP_MODULES[protocol];
  if (protocol === 'grpc' && module !== undefined) {
    return new RetryingGrpcExporter(otlpExporter(module), exportTimeoutMs(env));
  }
  if (module !== undefined) return otlpExporter(module);
  diag.warn(`OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}" is not supported; use grpc, http/protobuf or http/json. Using http/protobuf.`);
  return otlpExporter('@opentelemetry/exporter-trace-otlp-proto');
}

/** The export timeout the OTLP exporters read, as they read it: the traces-specific variable first. */
function exportTimeoutMs(env: Env): number {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const value = Number(env[name]?.trim() || NaN);
    if (Number.isFinite(value) && value > 0) return value;
  }
  return OTLP_TIMEOUT_MS;
}

const OTLP_MODULES: Record<string, string> = {
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
};

function otlpExporter(module: string): SpanExporter {
  const { OTLPTraceExporter } = load(module) as { OTLPTraceExporter: new () => SpanExporter };
  return new OTLPTraceExporter();
}

function consoleExporter(): SpanExporter {
  const { ConsoleSpanExporter } = load('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  return new ConsoleSpanExporter();
}

export function listFromEnv(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
  return items === undefined || items.length === 0 ? undefined : items;
}
