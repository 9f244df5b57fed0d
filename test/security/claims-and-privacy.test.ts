import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { ExportResultCode } from '@opentelemetry/core';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../processor/src/auth/load-tokens.js';
import { openDatabase } from '../../processor/src/store/database.js';
import { cliPath, startProcessor, type ProcessorProcess } from '../support/processor-process.js';
import { callBatch, exportWith, makeExporter, scrapeMetrics, tempDir, writeConfig } from '../reliability/support.js';

// The built processor with tokens bound to teams and user ids pseudonymized, driven by the real exporters.

const searchToken = 'search-ingest-3f9a0c7b1e';
const billingToken = 'billing-ingest-8d21e4aa90';
const readToken = 'finance-read-55c0d1b7e2';
const userIdKey = 'user-id-key-0123456789abcdef0123';
const person = 'alice@example.com';
const pseudonym = `u_${createHmac('sha256', userIdKey).update(person).digest('hex').slice(0, 32)}`;

describe('team binding and pseudonymization in the running processor', () => {
  let processor: ProcessorProcess | undefined;
  afterAll(async () => {
    await processor?.stop('SIGKILL');
  });

  it('stores a foreign team claim unallocated and flagged, rejects it where configured, pseudonymizes users, and logs no secret', async () => {
    const dir = tempDir('gc-claims-');
    writeFileSync(join(dir, 'billing.token'), `${billingToken}\n`);
    const config = writeConfig(dir, {
      auth: {
        ingest: [
          { name: 'search-svc', token_env: 'SEARCH_TOKEN', teams: ['search'] },
          { name: 'billing-svc', token_file: join(dir, 'billing.token'), teams: ['billing'], on_team_mismatch: 'reject' },
        ],
        read: [{ name: 'finance', token_sha256: sha256(readToken).toString('hex') }],
      },
      attribution: { pseudonymize_user_ids: { key: '${env:USER_ID_KEY}' } },
    });
    processor = await startProcessor({ args: ['--config', config], env: { SEARCH_TOKEN: searchToken, USER_ID_KEY: userIdKey, LOG_LEVEL: 'debug' } });
    const target = (token?: string) => ({ httpUrl: processor!.httpUrl, grpcAddress: processor!.grpcAddress, ...(token === undefined ? {} : { token }) });

    const own = callBatch(1, 3, { 'user.id': person });
    // Claimed by the resource only (the SDK drops the undefined span attribute).
    const claimsBilling = callBatch(2, 2, { 'user.id': person, 'chargeback.team': undefined }, { 'chargeback.team': 'billing' });
    const billingClaimsSearch = callBatch(3, 4);
    for (const [kind, batch] of [['json', own], ['grpc', claimsBilling]] as const) {
      expect((await exportWith(makeExporter(kind, target(searchToken)), batch.spans)).code).toBe(ExportResultCode.SUCCESS);
    }
    expect((await exportWith(makeExporter('proto', target()), own.spans)).code).toBe(ExportResultCode.FAILED);

    // The reject mode answers with an OTLP partial success, which exporters only log: read it off the wire.
    const rejected = await fetch(`${processor.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${billingToken}` },
      body: JsonTraceSerializer.serializeRequest(billingClaimsSearch.spans),
    });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toEqual({
      // int64 fields are strings in OTLP/JSON.
      partialSuccess: { rejectedSpans: '4', errorMessage: expect.stringMatching(/^span [0-9a-f]{16}: team "search" may not be claimed with ingest token "billing-svc" \(allowed: billing\)$/) },
    });
    // Malformed JSON quoting a user id: the decoder's message must not carry it into the logs.
    const malformed = await fetch(`${processor.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${searchToken}` },
      body: `{"resourceSpans":[{"user.id":"${person}"`,
    });
    expect(malformed.status).toBe(400);

    expect((await fetch(`${processor.httpUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${processor.httpUrl}/metrics`, { headers: { authorization: `Bearer ${searchToken}` } })).status).toBe(403);
    const metrics = await scrapeMetrics(processor.httpUrl, readToken);
    expect(metrics.get('genai_chargeback_team_claims_refused_total{action="unallocated"}')).toBe(3);
    expect(metrics.get('genai_chargeback_team_claims_refused_total{action="rejected"}')).toBe(4);
    expect(metrics.get('genai_chargeback_auth_failures_total{reason="missing"}')).toBe(2);
    expect(metrics.get('genai_chargeback_auth_failures_total{reason="forbidden"}')).toBe(1);
    expect(metrics.get('genai_chargeback_calls_stored_total')).toBe(5);

    expect(await processor.stop('SIGTERM')).toBe(0);
    const db = await openDatabase(processor.dbPath, { readOnly: true });
    const rows = (
      await db.connection.runAndReadAll(
        `SELECT team, user_id, attributes->>'$."chargeback.refused_team"' AS refused_team, attributes->>'$."chargeback.refused_by_token"' AS refused_by,
                count(*)::INTEGER AS calls
         FROM llm_calls GROUP BY ALL ORDER BY team NULLS LAST`,
      )
    ).getRowObjectsJS();
    const actions = (await db.connection.runAndReadAll('SELECT team, user_id FROM actions ORDER BY team NULLS LAST')).getRowObjectsJS();
    const leaked = (
      await db.connection.runAndReadAll(
        `SELECT (SELECT count(*) FROM llm_calls l WHERE l::VARCHAR LIKE $p)::INTEGER + (SELECT count(*) FROM actions a WHERE a::VARCHAR LIKE $p)::INTEGER AS n`,
        { p: `%${person}%` },
      )
    ).getRowObjectsJS();
    await db.close();

    expect(rows).toEqual([
      { team: 'search', user_id: pseudonym, refused_team: null, refused_by: null, calls: 3 },
      { team: null, user_id: pseudonym, refused_team: 'billing', refused_by: 'search-svc', calls: 2 },
    ]);
    expect(actions).toEqual([
      { team: 'search', user_id: pseudonym },
      { team: null, user_id: pseudonym },
    ]);
    expect(leaked).toEqual([{ n: 0 }]);

    const logged = JSON.stringify(processor.logs);
    expect(processor.logs.some((line) => line.msg === 'request refused' && typeof line.requestId === 'string')).toBe(true);
    for (const secret of [searchToken, billingToken, readToken, userIdKey, person]) expect(logged).not.toContain(secret);
  });

  it('refuses to start without tokens on a non-loopback host, with a clear message and exit code 2', () => {
    const dir = tempDir('gc-exposed-');
    const config = writeConfig(dir, { receivers: { host: '0.0.0.0', http: { port: 0 }, grpc: { port: 0 } } });
    const run = spawnSync(process.execPath, [cliPath, 'serve', '--config', config, '--db', join(dir, 'ledger.duckdb')], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`genai-chargeback: ${config}: refusing to start: receivers.host is "0.0.0.0", not loopback, and auth.ingest and auth.read have no tokens`);
  });
});
