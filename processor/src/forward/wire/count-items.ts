import { ProtoReader } from '../../otlp/proto-reader.js';
import { WireType, type MessageSchema } from '../../otlp/schema.js';
import type { WireFormat } from '../senders/sender.js';

/** Level by level, the message fields (protobuf numbers / OTLP/JSON names) leading to the items counted. */
interface ItemPath {
  protobuf: ReadonlyArray<readonly number[]>;
  json: ReadonlyArray<readonly string[]>;
}

/** opentelemetry-proto collector/logs/v1 and collector/metrics/v1; metric points are data points of any type. */
const paths: Record<'logs' | 'metrics', ItemPath> = {
  // ExportLogsServiceRequest.resource_logs → ResourceLogs.scope_logs → ScopeLogs.log_records
  logs: { protobuf: [[1], [2], [2]], json: [['resourceLogs'], ['scopeLogs'], ['logRecords']] },
  // ExportMetricsServiceRequest.resource_metrics → ResourceMetrics.scope_metrics → ScopeMetrics.metrics →
  // Metric.{gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11} → data_points
  metrics: {
    protobuf: [[1], [2], [2], [5, 7, 9, 10, 11], [1]],
    json: [['resourceMetrics'], ['scopeMetrics'], ['metrics'], ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'], ['dataPoints']],
  },
};

/** Skips any field by its wire type alone: only the path's length-delimited fields are read. */
const opaque: MessageSchema<string> = { type: '', tag: {}, byNumber: new Map() };

/**
 * The log records or metric points of an export request, for the exporters' Collector-named counters. Only the
 * path to them is walked (protobuf) or parsed (JSON). A body that cannot be read counts 0: it is still passed on
 * as it came, and the downstream decides.
 */
export function countItems(signal: 'logs' | 'metrics', body: Uint8Array, format: WireFormat): number {
  const path = paths[signal];
  try {
    if (format === 'protobuf') {
      const reader = new ProtoReader(body);
      return countProtobuf(reader, reader.len, path.protobuf, 0);
    }
    return countJson(JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')), path.json, 0);
  } catch {
    return 0;
  }
}

function countProtobuf(reader: ProtoReader, end: number, path: ItemPath['protobuf'], depth: number): number {
  const fields = path[depth]!;
  const last = depth === path.length - 1;
  let count = 0;
  while (reader.pos < end) {
    const tag = reader.uint32(end);
    if ((tag & 7) !== WireType.LEN || !fields.includes(tag >>> 3)) {
      reader.skip(tag, end, opaque);
      continue;
    }
    const fieldEnd = reader.delimited(end);
    count += last ? 1 : countProtobuf(reader, fieldEnd, path, depth + 1);
    reader.pos = fieldEnd;
  }
  return count;
}

function countJson(value: unknown, path: ItemPath['json'], depth: number): number {
  if (depth === path.length) return 1;
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  for (const key of path[depth]!) {
    const child = (value as Record<string, unknown>)[key];
    // Repeated fields are arrays; the metric type (gauge, sum, …) is a single object.
    const items = Array.isArray(child) ? child : child == null ? [] : [child];
    for (const item of items) count += countJson(item, path, depth + 1);
  }
  return count;
}
