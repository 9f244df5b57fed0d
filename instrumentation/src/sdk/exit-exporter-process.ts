/**
 * The child process of export-at-exit.ts: reads portable spans from stdin, exports them with the exporters the
 * `OTEL_*` variables name, and exits 0 once every exporter reported success.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { readFileSync } from 'node:fs';
import { useDiagLoggerFromEnv } from './diag-logger.js';
import { createSpanExportersFromEnv } from './exporters.js';
import { fromPortableSpans, type PortableSpans } from './portable-spans.js';

useDiagLoggerFromEnv();
const spans = fromPortableSpans(JSON.parse(readFileSync(0, 'utf8')) as PortableSpans);
const exporters = createSpanExportersFromEnv();
const results = await Promise.all(
  exporters.map((exporter) => new Promise<ExportResultCode>((resolve) => exporter.export(spans, (result) => resolve(result.code)))),
);
await Promise.all(exporters.map((exporter) => exporter.shutdown()));
process.exitCode = results.every((code) => code === ExportResultCode.SUCCESS) ? 0 : 1;
