import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../processor/src/store/database.js';
import { cliPath } from '../support/processor-process.js';

describe('genai-chargeback demo', () => {
  it('runs the processor, the fake provider and four instrumented services, then prints the chargeback', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'gc-demo-')), 'demo.duckdb');
    const { stdout } = await promisify(execFile)(process.execPath, [cliPath, 'demo', '--db', db, '--searches', '20'], { timeout: 60_000 });
    expect(stdout).toContain('Chargeback for');
    expect(stdout).toMatch(/\(month total\)/);
    expect(stdout).toMatch(/Hosted-tool fees[^\n]*\n.*\n.*\nsearch\s+openai\s+gpt-4\.1\s+web_search\s+20\s+0\s+20\s+0\.200000000\s/);

    const database = await openDatabase(db);
    const rows = async (sql: string) => (await database.connection.runAndReadAll(sql)).getRowObjectsJS();
    try {
      // support 40 + search 20 × 3 + classifier 120 (+1 failed) + legacy 15 (+1 unknown model)
      expect(await rows(`SELECT coalesce(team, '(none)') AS team, count(*)::INTEGER AS calls, count(*) FILTER (WHERE cost_source = 'unpriced')::INTEGER AS unpriced,
        count(*) FILTER (WHERE status = 'error')::INTEGER AS failed FROM llm_calls GROUP BY ALL ORDER BY team`)).toEqual([
        { team: '(none)', calls: 16, unpriced: 1, failed: 0 },
        { team: 'data', calls: 121, unpriced: 1, failed: 1 },
        { team: 'search', calls: 60, unpriced: 0, failed: 0 },
        { team: 'support', calls: 40, unpriced: 0, failed: 0 },
      ]);
      // The retriever has no team: its calls carry the search team from the caller's baggage.
      expect(await rows(`SELECT service_name, team, count(*)::INTEGER AS calls FROM llm_calls WHERE service_name IN ('search-api', 'retriever') GROUP BY ALL ORDER BY 1`)).toEqual([
        { service_name: 'retriever', team: 'search', calls: 40 },
        { service_name: 'search-api', team: 'search', calls: 20 },
      ]);
      // One RAG action per search, three calls in two services; claude-sonnet-4-6: (8200 − 6144 − 512) × $3
      // + 6144 × $0.30 + 512 × $3.75 + 420 × $15, per million = $0.0146952 a reply.
      expect(await rows(`SELECT action, count(*)::INTEGER AS actions, min(calls) AS min_calls, max(calls) AS max_calls, bool_and(complete) AS complete
        FROM actions WHERE action IN ('search.answer', 'support.reply') GROUP BY ALL ORDER BY 1`)).toEqual([
        { action: 'search.answer', actions: 20, min_calls: 3, max_calls: 3, complete: true },
        { action: 'support.reply', actions: 40, min_calls: 1, max_calls: 1, complete: true },
      ]);
      expect(await rows(`SELECT DISTINCT cost_usd::VARCHAR AS cost FROM llm_calls WHERE request_model = 'claude-sonnet-4-6'`)).toEqual([{ cost: '0.014695200' }]);
      // The retriever's answers search the web once each: a $0.01 fee in every answer's cost.
      expect(await rows(`SELECT attributes->>'$."chargeback.tool_calls.web_search"' AS searches, attributes->>'$."chargeback.tool_fee_usd.web_search"' AS fee,
        count(*)::INTEGER AS calls FROM llm_calls WHERE service_name = 'retriever' GROUP BY ALL ORDER BY ALL`)).toEqual([
        { searches: '1', fee: '0.010000000', calls: 20 },
        { searches: null, fee: null, calls: 20 },
      ]);
    } finally {
      await database.close();
    }
  });
});
