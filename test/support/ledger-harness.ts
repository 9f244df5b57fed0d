import pino from 'pino';
import { compileRules } from '../../processor/src/attribution/resolve-attribution.js';
import type { AttributionRule } from '../../processor/src/config/schema.js';
import { IngestPipeline } from '../../processor/src/pipeline/ingest.js';
import { NestedCallFilter } from '../../processor/src/pipeline/nested-calls.js';
import type { PriceCall } from '../../processor/src/pipeline/to-llm-call.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { LedgerWriter } from '../../processor/src/store/ledger-writer.js';

/** Test price: $2 per 1M input tokens, $8 per 1M output, per model `priced-*`; anything else is unpriced. */
export const testPriceCall: PriceCall = ({ model, usage }) => {
  if (model === null || !model.startsWith('priced') || usage === null) {
    return { cost_nanos: null, cost_source: 'unpriced', price_id: null };
  }
  const nanos = BigInt(usage.input ?? 0) * 2000n + BigInt(usage.output ?? 0) * 8000n;
  return { cost_nanos: nanos, cost_source: 'computed', price_id: `test/${model}` };
};

export async function openLedger(path = ':memory:', rules: AttributionRule[] = []) {
  const logger = pino({ level: 'silent' });
  const db = await openDatabase(path);
  const writer = await LedgerWriter.open(db.instance, { maxBatchRows: 10_000, maxQueuedRows: 100_000, logger, nestedCalls: new NestedCallFilter() });
  const compiled = compileRules(rules);
  const pipeline = new IngestPipeline({ writer, priceCall: testPriceCall, rules: compiled, logger });
  return {
    db,
    writer,
    pipeline,
    rules: compiled,
    logger,
    async query(sql: string) {
      const connection = await db.instance.connect();
      try {
        return (await connection.runAndReadAll(sql)).getRowObjectsJS();
      } finally {
        connection.closeSync();
      }
    },
    async close() {
      await writer.close();
      await db.close();
    },
  };
}
