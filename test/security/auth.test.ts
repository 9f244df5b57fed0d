import { Metadata } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authSchema } from '../../processor/src/auth/auth-config.js';
import { assertSafeExposure, isLoopback, UnsafeExposureError } from '../../processor/src/auth/exposure.js';
import { AuthConfigError, loadTokens, sha256 } from '../../processor/src/auth/load-tokens.js';
import { TokenVerifier } from '../../processor/src/auth/token-verifier.js';
import { parseConfig } from '../../processor/src/config/load-config.js';
import { createOperations } from '../../processor/src/ops/operations.js';
import { createApp, serve, serveGrpc, type RunningGrpcServer, type RunningHttpServer } from '../../processor/src/receiver/index.js';
import { MemorySink, recordingLogger } from '../receiver/support.js';
import { callBatch, exportWith } from '../reliability/support.js';

const ingestToken = 'ingest-token-5f2c1a9e7d';
const readToken = 'read-token-0b8e44c1aa';
const fileToken = 'file-token-77aa01';

describe('token sources and verification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gc-auth-'));
  writeFileSync(join(dir, 'token'), `${fileToken}\n`);
  const config = authSchema.parse({
    ingest: [
      { name: 'search-svc', token_env: 'SEARCH_TOKEN', teams: ['search'] },
      { name: 'batch-svc', token_file: join(dir, 'token'), on_team_mismatch: 'reject' },
    ],
    read: [{ name: 'finance', token_sha256: sha256(readToken).toString('hex') }],
  });

  it('reads tokens from a SHA-256, a file (newline trimmed) and a variable, and keeps only digests', async () => {
    const entries = await loadTokens(config, { SEARCH_TOKEN: ingestToken });
    expect(entries.map((entry) => [entry.principal.name, entry.principal.access, entry.digest.toString('hex')])).toEqual([
      ['search-svc', 'ingest', sha256(ingestToken).toString('hex')],
      ['batch-svc', 'ingest', sha256(fileToken).toString('hex')],
      ['finance', 'read', sha256(readToken).toString('hex')],
    ]);
    expect(entries[0]?.principal.teams).toEqual(new Set(['search']));
    expect(entries[1]?.principal).toMatchObject({ teams: null, onTeamMismatch: 'reject' });
  });

  it('names the field when a token source cannot be used', async () => {
    await expect(loadTokens(config, {})).rejects.toThrow(new AuthConfigError('auth.ingest[0].token_env: environment variable SEARCH_TOKEN is not set or empty; set it to the token'));
    const missingFile = authSchema.parse({ ingest: [{ name: 'x', token_file: join(dir, 'absent') }] });
    await expect(loadTokens(missingFile, {})).rejects.toThrow(/^auth\.ingest\[0\]\.token_file: cannot read .*absent \(ENOENT\)$/);
  });

  it('refuses configs with no or two token sources, duplicate names, or a digest that is not SHA-256 hex', () => {
    const issues = (raw: unknown) => authSchema.safeParse(raw).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(issues({ ingest: [{ name: 'a' }] })).toEqual(['ingest.0.token_sha256: set exactly one of token_sha256, token_file or token_env']);
    expect(issues({ read: [{ name: 'a', token_env: 'A', token_file: '/x' }] })).toEqual(['read.0.token_sha256: set exactly one of token_sha256, token_file or token_env']);
    expect(issues({ read: [{ name: 'a', token_env: 'A' }, { name: 'a', token_env: 'B' }] })).toEqual(['read.1.name: "a" is used twice; give each token its own name']);
    expect(issues({ read: [{ name: 'a', token_sha256: 'abc' }] })?.[0]).toMatch(/^read\.0\.token_sha256: the SHA-256 of the token as 64 hex characters/);
  });

  it('accepts only "Bearer <known token>" with the right access', async () => {
    const verifier = new TokenVerifier(await loadTokens(config, { SEARCH_TOKEN: ingestToken }));
    expect(verifier.verify(`Bearer ${ingestToken}`, ['ingest'])).toMatchObject({ ok: true, principal: { name: 'search-svc' } });
    expect(verifier.verify(`bearer ${fileToken}`, ['ingest'])).toMatchObject({ ok: true, principal: { name: 'batch-svc' } });
    expect(verifier.verify(`Bearer ${readToken}`, ['ingest', 'read'])).toMatchObject({ ok: true, principal: { name: 'finance' } });
    expect(verifier.verify(`Bearer ${readToken}`, ['ingest'])).toEqual({ ok: false, failure: 'forbidden' });
    expect(verifier.verify(`Bearer ${ingestToken}x`, ['ingest'])).toEqual({ ok: false, failure: 'unknown' });
    expect(verifier.verify(`Basic ${ingestToken}`, ['ingest'])).toEqual({ ok: false, failure: 'malformed' });
    expect(verifier.verify(undefined, ['ingest'])).toEqual({ ok: false, failure: 'missing' });
    expect(verifier.isOpen('ingest')).toBe(false);
    expect(new TokenVerifier([]).isOpen('read')).toBe(true);
  });
});

describe('exposure without auth', () => {
  const none = authSchema.parse({});
  const both = authSchema.parse({ ingest: [{ name: 'a', token_env: 'A' }], read: [{ name: 'b', token_env: 'B' }] });

  it('is allowed on loopback only', () => {
    for (const host of ['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'processor.internal']) expect(isLoopback(host)).toBe(false);
    expect(() => assertSafeExposure('127.0.0.1', none)).not.toThrow();
    expect(() => assertSafeExposure('0.0.0.0', both)).not.toThrow();
  });

  it('refuses a non-loopback host while ingest or read has no tokens, saying what to do', () => {
    expect(() => assertSafeExposure('0.0.0.0', none)).toThrow(UnsafeExposureError);
    expect(() => assertSafeExposure('0.0.0.0', none)).toThrow(/receivers\.host is "0\.0\.0\.0", not loopback, and auth\.ingest and auth\.read have no tokens.*bind receivers\.host to 127\.0\.0\.1/);
    const readOnly = authSchema.parse({ read: [{ name: 'b', token_env: 'B' }] });
    expect(() => assertSafeExposure('10.0.0.5', readOnly)).toThrow(/auth\.ingest has no tokens, so anyone who can reach the port could write to the ledger/);
  });
});

describe('receivers with auth', () => {
  const sink = new MemorySink();
  const { logger, records } = recordingLogger();
  let http: RunningHttpServer;
  let grpc: RunningGrpcServer;
  const batch = callBatch(1, 3);

  beforeAll(async () => {
    const config = parseConfig(
      { auth: { ingest: [{ name: 'search-svc', token_env: 'SEARCH_TOKEN' }], read: [{ name: 'finance', token_sha256: sha256(readToken).toString('hex') }] } },
      'test',
    );
    const ops = await createOperations(config, logger, { SEARCH_TOKEN: ingestToken });
    const app = createApp({ sink, logger, bodyLimitBytes: 1 << 20, guard: ops.guard });
    app.get('/v1/reports/spend', (c) => c.json({ rows: [] }));
    http = await serve(app, { port: 0 });
    grpc = await serveGrpc({ sink, logger, bodyLimitBytes: 1 << 20, guard: ops.guard }, { port: 0 });
  });
  afterAll(async () => {
    await Promise.all([http?.close(), grpc?.close()]);
  });
  beforeEach(() => sink.reset());

  // A request the sink would take: refusing it must be the token's doing.
  const spans = JSON.stringify({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), name: 'chat', attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '10' } }] }] }] }],
  });
  const post = (authorization?: string) =>
    fetch(`${http.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: spans,
    });

  it('answers 401 with a challenge and a google.rpc.Status, and stores nothing, without a valid token', async () => {
    for (const authorization of [undefined, `Bearer wrong-${ingestToken}`, 'Token abc']) {
      const response = await post(authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(((await response.json()) as { code: number }).code).toBe(16);
    }
    expect((await post(`Bearer ${readToken}`)).status).toBe(403);
    expect(sink.exports).toEqual([]);
    expect((await post(`Bearer ${ingestToken}`)).status).toBe(200);
    expect(sink.spans).toHaveLength(1);
  });

  it('lets a valid ingest token in and hands its holder to the pipeline', async () => {
    const exporter = new ProtoExporter({ url: `${http.url}/v1/traces`, headers: { Authorization: `Bearer ${ingestToken}` } });
    expect((await exportWith(exporter, batch.spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(sink.exports.map((e) => [e.context.principal, e.traces.spans.length])).toEqual([['search-svc', 4]]);
    const refused = new ProtoExporter({ url: `${http.url}/v1/traces`, headers: { Authorization: 'Bearer nope' } });
    const result = await exportWith(refused, batch.spans);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(sink.exports).toHaveLength(1);
  });

  it('checks the gRPC authorization metadata the same way (UNAUTHENTICATED, nothing stored)', async () => {
    const withToken = (token: string) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      return new GrpcExporter({ url: `http://${grpc.address}`, metadata });
    };
    const refused = await exportWith(withToken('nope'), batch.spans);
    expect(refused.code).toBe(ExportResultCode.FAILED);
    expect((refused.error as { code?: number }).code).toBe(16);
    expect((await exportWith(new GrpcExporter({ url: `http://${grpc.address}` }), batch.spans)).code).toBe(ExportResultCode.FAILED);
    expect(sink.exports).toEqual([]);
    expect((await exportWith(withToken(ingestToken), batch.spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(sink.exports.map((e) => [e.context.transport, e.context.principal])).toEqual([['grpc', 'search-svc']]);
  });

  it('guards read routes mounted after the receiver with read tokens, and leaves the probes open', async () => {
    const get = (path: string, token?: string) => fetch(`${http.url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    expect((await get('/v1/reports/spend')).status).toBe(401);
    expect((await get('/v1/reports/spend', ingestToken)).status).toBe(403);
    expect((await get('/v1/reports/spend', readToken)).status).toBe(200);
    expect((await get('/v1/budgets/status', ingestToken)).status).toBe(404);
    expect((await get('/v1/budgets', ingestToken)).status).toBe(403);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('keeps a caller\'s plain X-Request-Id and never logs a token', async () => {
    const response = await fetch(`${http.url}/v1/traces`, { method: 'POST', headers: { 'x-request-id': 'req-42', authorization: `Bearer ${readToken}x` } });
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(records).toContainEqual(expect.objectContaining({ msg: 'request not authorized', requestId: 'req-42', reason: 'unknown bearer token' }));
    const logged = JSON.stringify(records);
    for (const secret of [ingestToken, readToken, fileToken]) expect(logged).not.toContain(secret);
  });
});
