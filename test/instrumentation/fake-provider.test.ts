import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../processor/src/demo/fake-provider.js';

describe('fake provider', () => {
  let fake: FakeProvider;

  beforeAll(async () => {
    fake = await startFakeProvider({ models: { 'gpt-4.1': { input: 100, output: 20 } }, retryAfterMs: 1500 });
  });

  afterAll(async () => {
    await fake.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('computes usage from the request when the model has none configured, and records it', async () => {
    const response = await post('/v1/chat/completions', { model: 'any-model', messages: [{ role: 'user', content: 'abcd efgh' }] });
    const body = (await response.json()) as { usage: { prompt_tokens: number; completion_tokens: number }; choices: [{ message: { content: string } }] };
    // 10 + ceil(9 characters / 4) input tokens; one output token a word of "This is a fake reply to: abcd efgh".
    expect(body.usage).toMatchObject({ prompt_tokens: 13, completion_tokens: 8 });
    expect(body.choices[0].message.content).toBe('This is a fake reply to: abcd efgh');
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v1/chat/completions', status: 200, usage: { input: 13, output: 8, cacheRead: 0 } });
  });

  it('fails the first attempt of a call with 429 and retry-after, by header or model name', async () => {
    const first = await post('/v1/messages', { model: 'claude-haiku-4-5', messages: [] }, { 'x-fake-fault': 'fail-429-once', 'x-stainless-retry-count': '0' });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(first.headers.get('retry-after-ms')).toBe('1500');
    expect(await first.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited (fake)' } });
    const retry = await post('/v1/messages', { model: 'claude-haiku-4-5', messages: [] }, { 'x-fake-fault': 'fail-429-once', 'x-stainless-retry-count': '1' });
    expect(retry.status).toBe(200);
    // Without the SDK's attempt numbering, attempts of the same call alternate fail / succeed.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('/v1/chat/completions', { model: 'gpt-4.1-fail-429-once', messages: [] })).status);
    expect(statuses).toEqual([429, 200, 429]);
  });

  it('always fails fail-500 and answers 404 to unknown routes', async () => {
    expect((await post('/v1/responses', { model: 'fail-500', input: 'x' })).status).toBe(500);
    expect((await post('/v1/responses', { model: 'fail-500', input: 'x' })).status).toBe(500);
    expect((await post('/v1/unknown', {})).status).toBe(404);
  });

  it('serves embeddings as floats or base64 float32', async () => {
    const floats = (await (await post('/v1/embeddings', { model: 'e', input: 'x', encoding_format: 'float' })).json()) as { data: [{ embedding: number[] }] };
    const encoded = (await (await post('/v1/embeddings', { model: 'e', input: 'x', encoding_format: 'base64' })).json()) as { data: [{ embedding: string }] };
    const bytes = Buffer.from(encoded.data[0].embedding, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(floats.data[0].embedding).toHaveLength(8);
    expect(decoded).toEqual(floats.data[0].embedding.map((value) => Math.fround(value)));
  });
});
