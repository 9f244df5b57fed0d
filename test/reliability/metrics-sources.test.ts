import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { createMetricsRegistry, type MetricSources } from '../../processor/src/ops/metrics.js';
import { ReceiverMetrics } from '../../processor/src/receiver/metrics.js';

function sources(duckdbMemory: MetricSources['duckdbMemory'], errors: Array<[string, unknown]>): MetricSources {
  return {
    receiver: new ReceiverMetrics(),
    ingest: { spansReceived: 7, callsReceived: 5, callsStored: 5, callsDuplicate: 0, callsNested: 0, callsUnpriced: 1, callsRefused: 0, unallocatedCostNanos: 0n },
    storedSpans: () => 7,
    rollup: { counters: { actionsWritten: 2, actionsIncomplete: 0, tracesEvicted: 0, lateSpans: 0, lateUpdates: 0, actionsReadBack: 0, writesBySearch: { none: 0, recent: 0, all: 0 }, writeFailures: 0, actionsDropped: 0 }, tracesBuffered: 0, bufferedBytes: 0 },
    writer: { queueSize: 0, commits: 3, recentKeyBytes: 16_384 },
    queueCapacity: 100,
    limits: { rejectedSpans: 0, truncatedValues: 0 },
    teamBinding: { unallocated: 0, rejected: 0 },
    authFailures: { missing: 0, malformed: 0, unknown: 0, forbidden: 0 },
    memory: () => null,
    forwarding: () => [],
    duckdbMemory,
    onSourceError: (source, error) => errors.push([source, error]),
  };
}

describe('/metrics sources', () => {
  it("answers without DuckDB's memory when DuckDB refuses to report it (at its memory_limit), and says so", async () => {
    // A real DuckDB out-of-memory error: a 1 MiB limit and a query that needs more.
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '1MiB' });
    const connection = await instance.connect();
    const errors: Array<[string, unknown]> = [];
    const registry = createMetricsRegistry(
      sources(async () => {
        await connection.run('SELECT list(range) FROM range(5000000)');
        return [{ tag: 'base_table', bytes: 1 }];
      }, errors),
    );
    const text = await registry.metrics();
    expect(text).toContain('genai_chargeback_calls_stored_total 5');
    expect(text).toContain('genai_chargeback_ledger_commits_total 3');
    expect(text).toContain('genai_chargeback_recent_call_keys_bytes 16384');
    expect(text).toContain('genai_chargeback_calls_unpriced_total 1');
    expect(text).not.toMatch(/^genai_chargeback_duckdb_memory_bytes\{/m);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toBe('duckdb_memory');
    expect(String(errors[0]?.[1])).toMatch(/Out of Memory/);
    connection.closeSync();
    instance.closeSync();
  });

  it("reports DuckDB's memory by tag when it can", async () => {
    const errors: Array<[string, unknown]> = [];
    const registry = createMetricsRegistry(sources(async () => [{ tag: 'base_table', bytes: 262_144 }], errors));
    expect(await registry.metrics()).toMatch(/^genai_chargeback_duckdb_memory_bytes\{tag="base_table"\} 262144$/m);
    expect(errors).toEqual([]);
  });
});
