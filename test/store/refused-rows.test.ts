import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { LlmCall } from '../../processor/src/ledger/llm-call.js';
import { NestedCallFilter } from '../../processor/src/pipeline/nested-calls.js';
import { openDatabase, type Database } from '../../processor/src/store/database.js';
import { LedgerJournal } from '../../processor/src/store/ledger-journal.js';
import { LedgerWriter, type WriteResult } from '../../processor/src/store/ledger-writer.js';
import { llmCallsCsv } from '../../processor/src/store/llm-call-csv.js';
import { ledgerRefusingPoison } from '../reliability/support.js';
import { closedAfterEach, holdCommits, type OpenLedger } from '../support/ledger-writers.js';
import { llmCallRow } from '../support/llm-call-row.js';

// A row DuckDB refuses over its own data (here a CHECK constraint the ledger was created with; in the wild a value
// a future reader cannot cast) must fail only itself: not every request that shares its commit, on every retry,
// nor (acknowledged from the journal) every commit after it.

const logger = pino({ level: 'silent' });
const open = closedAfterEach();

async function setup(path: string, ack: 'commit' | 'journal') {
  const db = await openDatabase(path);
  const entry: OpenLedger = { db };
  open.push(entry);
  const journal = ack === 'journal' ? LedgerJournal.open(`${path}.journal`) : undefined;
  entry.writer = await LedgerWriter.open(db.instance, { maxBatchRows: 1000, maxQueuedRows: 10_000, logger, nestedCalls: new NestedCallFilter(), journal });
  return { db, writer: entry.writer, journalDir: `${path}.journal` };
}

let spanCounter = 0;
function call(team = 'search'): LlmCall {
  return llmCallRow(new Date(Date.now() - 60_000), { span_id: (++spanCounter).toString(16).padStart(16, '0'), team });
}

async function storedTeams(db: Database): Promise<string[]> {
  const result = await db.connection.runAndReadAll('SELECT team FROM llm_calls ORDER BY span_id');
  return result.getRowObjectsJS().map((row) => String(row.team));
}

const spans = (rows: LlmCall[]) => rows.map((row) => row.span_id);

describe.each(['commit', 'journal'] as const)('rows DuckDB refuses over their data (storage.ack: %s)', (ack) => {
  it('are refused alone: the rest of their request and of every request sharing the commit is stored', async () => {
    const { db, writer, journalDir } = await setup(await ledgerRefusingPoison(), ack);
    const first = [call(), call(), call('poison'), call(), call()];
    const second = [call('support'), call('support'), call('support')];
    const release = holdCommits(writer);
    const results = [writer.write(first), writer.write(second)];
    release();
    const [a, b] = (await Promise.all(results)) as [WriteResult, WriteResult];
    expect(spans(a.inserted)).toEqual(spans([first[0], first[1], first[3], first[4]] as LlmCall[]));
    expect(a.refused.map(({ row, reason }) => [row.span_id, reason.split(' with expression')[0]])).toEqual([
      [first[2]?.span_id, 'Constraint Error: CHECK constraint failed on table llm_calls'],
    ]);
    expect(spans(b.inserted)).toEqual(spans(second));
    expect(b.refused).toEqual([]);
    expect(await storedTeams(db)).toEqual(['search', 'search', 'search', 'search', 'support', 'support', 'support']);

    // The same request again: its stored rows are repeats, the bad one refused again; later writes go on.
    const again = await writer.write(first);
    expect([again.inserted.length, again.repeated.length, again.refused.length]).toEqual([0, 4, 1]);
    expect((await writer.write([call()])).inserted).toHaveLength(1);
    expect(await storedTeams(db)).toHaveLength(8);

    if (ack === 'journal') {
      // Acknowledged, so kept: each refusal in a quarantine file, nothing left in the journal.
      expect(readdirSync(journalDir).filter((name) => name.endsWith('.csv'))).toEqual([]);
      const quarantined = readdirSync(join(journalDir, 'quarantine'));
      expect(quarantined).toHaveLength(2);
      for (const name of quarantined) expect(readFileSync(join(journalDir, 'quarantine', name), 'utf8')).toBe(llmCallsCsv([first[2] as LlmCall]).toString('utf8'));
    }
  });
});

it('a journal file left by a stop that DuckDB refuses is moved to the quarantine, and the start goes on', async () => {
  const path = await ledgerRefusingPoison();
  const journal = LedgerJournal.open(`${path}.journal`);
  const good = call();
  const poisoned = await journal.append(llmCallsCsv([good, call('poison')]));
  const { db, writer, journalDir } = await setup(path, 'journal');
  expect(readdirSync(journalDir).filter((name) => name.endsWith('.csv'))).toEqual([]);
  // The file is moved whole, the row DuckDB would take included: it is committed once the file is moved back.
  expect(readdirSync(join(journalDir, 'quarantine'))).toEqual([poisoned.split('/').at(-1)]);
  expect(await storedTeams(db)).toEqual([]);
  expect((await writer.write([call()])).inserted).toHaveLength(1);
  await writer.close();

  const fixed = readFileSync(join(journalDir, 'quarantine', poisoned.split('/').at(-1) as string), 'utf8').replace('"poison"', '"search"');
  writeFileSync(poisoned, fixed);
  await db.close();
  open.splice(0);
  const reopened = await setup(path, 'journal');
  expect(await storedTeams(reopened.db)).toEqual(['search', 'search', 'search']);
});
