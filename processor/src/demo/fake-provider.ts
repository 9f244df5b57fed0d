/**
 * A fake model provider on 127.0.0.1 that speaks the wire formats of the OpenAI API (`/v1/chat/completions`,
 * `/v1/responses`, `/v1/completions`, `/v1/embeddings`) and the Anthropic API (`/v1/messages`), JSON and SSE streaming, so the real
 * `openai` and `@anthropic-ai/sdk` clients run against it unchanged. Usage is deterministic (configured per model
 * or computed from the request) and every request is recorded, so tests assert exact token counts. A Responses API
 * request with `background: true` is answered queued; `GET /v1/responses/{id}` finds it in progress, then completed
 * (with its usage), or streams its events to the end (`stream=true`, after `starting_after`), and
 * `POST /v1/responses/{id}/cancel` cancels it.
 *
 * Faults, chosen per request by the `x-fake-fault` header or by a model name containing the fault's name:
 * - `fail-429-once`: 429 with `retry-after` on the first attempt of a call (the SDKs' `x-stainless-retry-count: 0`), then success
 * - `fail-500-once`: the same with 500
 * - `fail-429` / `fail-500`: every attempt fails
 * - `cut-stream`: a streamed response stops midway (the connection is destroyed after the first events)
 * - `no-response`: the request is held unanswered until the client goes away or the server closes
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Usage in the semantic-convention meaning: `input` includes cache reads and writes, `output` includes reasoning. */
export interface FakeUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  /** The part of `cacheCreation` written with a 1-hour lifetime (Anthropic). */
  cacheCreation1h: number;
  reasoning: number;
  /** Web searches the call made (when the request declares a web search tool; default 1): OpenAI `web_search_call` items, Anthropic `server_tool_use`. */
  webSearches: number;
  /** File searches the call made (when the request declares the file_search tool; default 1): OpenAI `file_search_call` items. */
  fileSearches: number;
}

export const FAKE_FAULTS = ['fail-429-once', 'fail-500-once', 'fail-429', 'fail-500', 'cut-stream', 'no-response'] as const;
export type FakeFault = (typeof FAKE_FAULTS)[number];

export interface FakeProviderOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Fixed usage per model name; fields left out are computed from the request. */
  models?: Record<string, Partial<FakeUsage>>;
  /** Sent as `retry-after-ms` with 429/500 (and `retry-after` rounded up to seconds). Default 20 ms, to keep retries fast. */
  retryAfterMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: unknown;
  status: number;
  /** When the request arrived (epoch milliseconds). */
  receivedAtMs: number;
  fault: FakeFault | undefined;
  /** The usage the response reported (semantic-convention meaning), when it reported any. */
  usage: FakeUsage | undefined;
  stream: boolean;
}

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` — the Anthropic SDK's `baseURL`. */
  url: string;
  /** `http://127.0.0.1:PORT/v1` — the OpenAI SDK's `baseURL`. */
  openaiBaseURL: string;
  anthropicBaseURL: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

type Flavour = 'chat' | 'responses' | 'completions' | 'embeddings' | 'messages';

const ROUTES: Record<string, Flavour> = {
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/messages': 'messages',
};

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  const state: ProviderState = { options, sequence: 0, unnumberedAttempts: new Map(), background: new Map() };
  const server = createServer((req, res) => {
    void handle(req, res, state, requests).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: 'fake_provider_error' } });
      else res.destroy();
    });
  });
  // Longer than clients' idle keep-alive (undici: 4 s), so a client never reuses a connection the server is closing.
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface ProviderState {
  options: FakeProviderOptions;
  sequence: number;
  /** Attempts per call for clients that do not number them (no `x-stainless-retry-count`). */
  unnumberedAttempts: Map<string, number>;
  /** Responses created with `background: true`, by response id, until they are retrieved finished or cancelled. */
  background: Map<string, BackgroundResponse>;
}

/** A background response: queued when created, in progress at the first retrieve, completed at the second. */
interface BackgroundResponse {
  seq: string;
  model: string;
  reply: string[];
  usage: FakeUsage;
  tier: ServedTier;
  retrieves: number;
}

const BACKGROUND_PATH = /^\/v1\/responses\/(resp_fake\d+)(\/cancel)?$/;

async function handle(req: IncomingMessage, res: ServerResponse, state: ProviderState, log: RecordedRequest[]): Promise<void> {
  const raw = await readBody(req);
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const headers = flattenHeaders(req);
  const body = parseBody(raw);
  const params = isRecord(body) ? body : {};
  const flavour = ROUTES[path];
  const model = typeof params['model'] === 'string' ? params['model'] : 'unknown-model';
  const stream = params['stream'] === true;
  const fault = faultOf(headers['x-fake-fault'], model);
  const entry: RecordedRequest = { method: req.method ?? 'GET', path, headers, body, status: 200, receivedAtMs: Date.now(), fault, usage: undefined, stream };
  log.push(entry);

  const background = BACKGROUND_PATH.exec(path);
  if (background !== null) {
    const query = new URL(req.url ?? '/', 'http://fake').searchParams;
    await answerBackground(res, entry, state, background[1] ?? '', req.method === 'POST' && background[2] !== undefined, query);
    return;
  }
  if (req.method !== 'POST' || flavour === undefined) {
    entry.status = 404;
    sendJson(res, 404, { error: { message: `fake provider: no route ${req.method} ${path}`, type: 'invalid_request_error' } });
    return;
  }
  if (fault === 'no-response') return;
  const failure = failureStatus(fault, headers['x-stainless-retry-count'], `${fault}|${path}|${raw}`, state);
  if (failure !== undefined) {
    entry.status = failure;
    sendError(res, flavour, failure, state.options.retryAfterMs ?? 20);
    return;
  }

  const id = String(++state.sequence).padStart(6, '0');
  const reply = replyFor(params);
  const usage = usageFor(model, params, reply, state.options.models);
  const tier = servedTier(params);
  entry.usage = usage;
  if (flavour === 'responses' && params['background'] === true && stream) {
    // Streamed as it runs; a client that leaves the stream early can poll it, completed, at the next retrieve.
    state.background.set(`resp_fake${id}`, { seq: id, model, reply, usage, tier, retrieves: 1 });
  }
  if (flavour === 'responses' && params['background'] === true && !stream) {
    // Billed once it finishes; the usage is reported by the retrieve that finds it completed.
    entry.usage = undefined;
    state.background.set(`resp_fake${id}`, { seq: id, model, reply, usage, tier, retrieves: 0 });
    sendJson(res, 200, { ...responseObject(id, model, reply, null, 'queued', tier), background: true }, requestIdHeader(flavour, id));
    return;
  }
  const cut = fault === 'cut-stream' && stream;
  const sse = stream && flavour !== 'embeddings';
  if (flavour === 'embeddings') sendJson(res, 200, embeddings(model, params, usage), { 'x-request-id': `req_${id}` });
  else if (!sse) sendJson(res, 200, completion(flavour, id, model, reply, usage, tier), requestIdHeader(flavour, id));
  else await sendEvents(res, streamEvents(flavour, id, model, reply, usage, params, tier), cut, requestIdHeader(flavour, id));
}

/**
 * `GET /v1/responses/{id}` (poll; with `stream=true`, the response's events after `starting_after`, to its end) and
 * `POST /v1/responses/{id}/cancel` for a background response.
 */
async function answerBackground(res: ServerResponse, entry: RecordedRequest, state: ProviderState, responseId: string, cancel: boolean, query: URLSearchParams): Promise<void> {
  const response = state.background.get(responseId);
  if (response === undefined || (entry.method !== 'GET' && !cancel)) {
    entry.status = 404;
    sendJson(res, 404, { error: { message: `fake provider: no background response ${responseId}`, type: 'invalid_request_error' } });
    return;
  }
  const { seq, model, reply, usage, tier } = response;
  if (!cancel && query.get('stream') === 'true') {
    state.background.delete(responseId);
    entry.usage = usage;
    entry.stream = true;
    const after = Number(query.get('starting_after') ?? -1);
    const events = responsesEvents(seq, model, reply, usage, tier).filter((event) => isRecord(event.data) && Number(event.data['sequence_number']) > after);
    await sendEvents(res, events, false, requestIdHeader('responses', seq));
    return;
  }
  let body: ReturnType<typeof responseObject>;
  if (cancel) {
    state.background.delete(responseId);
    body = responseObject(seq, model, reply, null, 'cancelled', tier);
  } else if (++response.retrieves < 2) {
    body = responseObject(seq, model, reply, null, 'in_progress', tier);
  } else {
    state.background.delete(responseId);
    entry.usage = usage;
    body = responseObject(seq, model, reply, usage, 'completed', tier);
  }
  sendJson(res, 200, { ...body, background: true }, requestIdHeader('responses', seq));
}

function faultOf(header: string | undefined, model: string): FakeFault | undefined {
  const named = (FAKE_FAULTS as readonly string[]).includes(header ?? '') ? (header as FakeFault) : undefined;
  // Longest names first, so `fail-429-once` is not read as `fail-429`.
  return named ?? [...FAKE_FAULTS].sort((a, b) => b.length - a.length).find((fault) => model.includes(fault));
}

function failureStatus(fault: FakeFault | undefined, retryCount: string | undefined, callKey: string, state: ProviderState): number | undefined {
  if (fault === 'fail-429' || fault === 'fail-500') return fault === 'fail-429' ? 429 : 500;
  if (fault !== 'fail-429-once' && fault !== 'fail-500-once') return undefined;
  let firstAttempt: boolean;
  if (retryCount !== undefined && /^\d+$/.test(retryCount)) {
    firstAttempt = retryCount === '0';
  } else {
    const seen = state.unnumberedAttempts.get(callKey) ?? 0;
    state.unnumberedAttempts.set(callKey, seen + 1);
    firstAttempt = seen % 2 === 0;
  }
  if (!firstAttempt) return undefined;
  return fault === 'fail-429-once' ? 429 : 500;
}

// ---- deterministic content and usage ----

function replyFor(params: Record<string, unknown>): string[] {
  const words = lastUserText(params).split(/\s+/).filter((word) => word !== '').slice(0, 6);
  return ['This', 'is', 'a', 'fake', 'reply', 'to:', ...(words.length > 0 ? words : ['nothing'])];
}

/** Input ≈ 4 characters a token plus a fixed overhead; output = one token a word of the reply. */
function usageFor(model: string, params: Record<string, unknown>, reply: string[], models: FakeProviderOptions['models']): FakeUsage {
  const fixed = models?.[model] ?? {};
  return {
    input: fixed.input ?? 10 + Math.ceil(allText(params).length / 4),
    output: fixed.output ?? reply.length,
    cacheRead: fixed.cacheRead ?? 0,
    cacheCreation: fixed.cacheCreation ?? 0,
    cacheCreation1h: fixed.cacheCreation1h ?? 0,
    reasoning: fixed.reasoning ?? 0,
    webSearches: declaresTool(params, 'web_search') ? (fixed.webSearches ?? 1) : 0,
    fileSearches: declaresTool(params, 'file_search') ? (fixed.fileSearches ?? 1) : 0,
  };
}

/** A tool whose type starts with `type`: OpenAI `web_search`, `web_search_preview`, `file_search`; Anthropic `web_search_20250305`. */
function declaresTool(params: Record<string, unknown>, type: string): boolean {
  const tools = params['tools'];
  return Array.isArray(tools) && tools.some((tool) => isRecord(tool) && typeof tool['type'] === 'string' && tool['type'].startsWith(type));
}

function allText(params: Record<string, unknown>): string {
  const parts: string[] = [];
  collectText(params['system'], parts);
  collectText(params['instructions'], parts);
  collectText(params['messages'], parts);
  collectText(params['input'], parts);
  collectText(params['prompt'], parts);
  return parts.join(' ');
}

function lastUserText(params: Record<string, unknown>): string {
  const turns = params['messages'] ?? params['input'] ?? params['prompt'];
  if (typeof turns === 'string') return turns;
  if (!Array.isArray(turns)) return '';
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn: unknown = turns[i];
    if (isRecord(turn) && turn['role'] === 'user') {
      const parts: string[] = [];
      collectText(turn['content'], parts);
      return parts.join(' ');
    }
    if (typeof turn === 'string') return turn;
  }
  return '';
}

function collectText(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectText(item, into);
  else if (isRecord(value)) {
    if (typeof value['text'] === 'string') into.push(value['text']);
    else collectText(value['content'], into);
  }
}

// ---- OpenAI and Anthropic payloads ----

const CREATED = 1_767_225_600;

function chatUsage(usage: FakeUsage) {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cacheRead, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** The legacy completions API reports no token details. */
function textCompletionUsage(usage: FakeUsage) {
  return { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output };
}

function responsesUsage(usage: FakeUsage) {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cacheRead },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}

/** Anthropic reports input WITHOUT the cache tokens, which it lists beside it. */
function anthropicUsage(usage: FakeUsage) {
  return {
    input_tokens: usage.input - usage.cacheRead - usage.cacheCreation,
    cache_creation_input_tokens: usage.cacheCreation,
    cache_creation: { ephemeral_5m_input_tokens: usage.cacheCreation - usage.cacheCreation1h, ephemeral_1h_input_tokens: usage.cacheCreation1h },
    cache_read_input_tokens: usage.cacheRead,
    output_tokens: usage.output,
    ...serverToolUse(usage),
    service_tier: 'standard',
  };
}

function serverToolUse(usage: FakeUsage): { server_tool_use?: { web_search_requests: number } } {
  return usage.webSearches === 0 ? {} : { server_tool_use: { web_search_requests: usage.webSearches } };
}

/** The OpenAI service tier that serves a request: Flex and Priority when asked for, else the default tier. */
type ServedTier = 'default' | 'flex' | 'priority';

function servedTier(params: Record<string, unknown>): ServedTier {
  const asked = params['service_tier'];
  return asked === 'flex' || asked === 'priority' ? asked : 'default';
}

function responseObject(id: string, model: string, reply: string[], usage: FakeUsage | null, status: 'queued' | 'in_progress' | 'completed' | 'cancelled', tier: ServedTier) {
  return {
    id: `resp_fake${id}`,
    object: 'response',
    created_at: CREATED,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    model,
    output:
      status === 'completed'
        ? [
            ...webSearchCalls(id, usage?.webSearches ?? 0),
            ...fileSearchCalls(id, usage?.fileSearches ?? 0),
            { type: 'message', id: `msg_fake${id}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: reply.join(' '), annotations: [] }] },
          ]
        : [],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    service_tier: tier,
    usage: usage === null ? null : responsesUsage(usage),
  };
}

function webSearchCalls(id: string, count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'web_search_call', id: `ws_fake${id}_${i}`, status: 'completed', action: { type: 'search', query: 'fake query' } }));
}

function fileSearchCalls(id: string, count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'file_search_call', id: `fs_fake${id}_${i}`, status: 'completed', queries: ['fake query'], results: null }));
}

function completion(flavour: Exclude<Flavour, 'embeddings'>, id: string, model: string, reply: string[], usage: FakeUsage, tier: ServedTier): unknown {
  const text = reply.join(' ');
  if (flavour === 'chat') {
    return {
      id: `chatcmpl-fake${id}`,
      object: 'chat.completion',
      created: CREATED,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: chatUsage(usage),
      service_tier: tier,
      system_fingerprint: 'fp_fake',
    };
  }
  if (flavour === 'responses') return responseObject(id, model, reply, usage, 'completed', tier);
  if (flavour === 'completions') {
    return {
      id: `cmpl-fake${id}`,
      object: 'text_completion',
      created: CREATED,
      model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
      usage: textCompletionUsage(usage),
    };
  }
  return {
    id: `msg_fake${id}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(usage),
  };
}

function embeddings(model: string, params: Record<string, unknown>, usage: FakeUsage): unknown {
  const inputs = Array.isArray(params['input']) ? params['input'] : [params['input']];
  const base64 = params['encoding_format'] === 'base64';
  return {
    object: 'list',
    data: inputs.map((_, index) => {
      const vector = Array.from({ length: 8 }, (__, i) => (index + 1) / (i + 2));
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
    }),
    model,
    usage: { prompt_tokens: usage.input, total_tokens: usage.input },
  };
}

interface SseEvent {
  event?: string;
  data: unknown;
}

function streamEvents(flavour: Exclude<Flavour, 'embeddings'>, id: string, model: string, reply: string[], usage: FakeUsage, params: Record<string, unknown>, tier: ServedTier): SseEvent[] {
  if (flavour === 'chat') return chatEvents(id, model, reply, usage, params, tier);
  if (flavour === 'responses') return responsesEvents(id, model, reply, usage, tier);
  if (flavour === 'completions') return textCompletionEvents(id, model, reply, usage, params);
  return messagesEvents(id, model, reply, usage);
}

function chatEvents(id: string, model: string, reply: string[], usage: FakeUsage, params: Record<string, unknown>, tier: ServedTier): SseEvent[] {
  const options = params['stream_options'];
  const includeUsage = isRecord(options) && options['include_usage'] === true;
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id: `chatcmpl-fake${id}`,
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    service_tier: tier,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const events: SseEvent[] = [{ data: chunk({ role: 'assistant', content: '', refusal: null }, null) }];
  reply.forEach((word, i) => events.push({ data: chunk({ content: i === 0 ? word : ` ${word}` }, null) }));
  events.push({ data: chunk({}, 'stop') });
  if (includeUsage) {
    events.push({
      data: { id: `chatcmpl-fake${id}`, object: 'chat.completion.chunk', created: CREATED, model, service_tier: tier, system_fingerprint: 'fp_fake', choices: [], usage: chatUsage(usage) },
    });
  }
  events.push({ data: '[DONE]' });
  return events;
}

function textCompletionEvents(id: string, model: string, reply: string[], usage: FakeUsage, params: Record<string, unknown>): SseEvent[] {
  const options = params['stream_options'];
  const includeUsage = isRecord(options) && options['include_usage'] === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown>) => ({ id: `cmpl-fake${id}`, object: 'text_completion', created: CREATED, model, choices, ...extra });
  const perChunk = includeUsage ? { usage: null } : {};
  const events: SseEvent[] = reply.map((word, i) => ({
    data: chunk([{ index: 0, text: i === 0 ? word : ` ${word}`, logprobs: null, finish_reason: i === reply.length - 1 ? 'stop' : null }], perChunk),
  }));
  if (includeUsage) {
    events.push({ data: chunk([], { usage: textCompletionUsage(usage) }) });
  }
  events.push({ data: '[DONE]' });
  return events;
}

function responsesEvents(id: string, model: string, reply: string[], usage: FakeUsage, tier: ServedTier): SseEvent[] {
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>): SseEvent => ({ event: type, data: { type, sequence_number: sequence++, ...fields } });
  const itemId = `msg_fake${id}`;
  const text = reply.join(' ');
  const part = { type: 'output_text', text, annotations: [] };
  const item = { type: 'message', id: itemId, status: 'completed', role: 'assistant', content: [part] };
  return [
    event('response.created', { response: responseObject(id, model, reply, null, 'in_progress', tier) }),
    event('response.in_progress', { response: responseObject(id, model, reply, null, 'in_progress', tier) }),
    event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
    event('response.content_part.added', { item_id: itemId, output_index: 0, content_index: 0, part: { ...part, text: '' } }),
    ...reply.map((word, i) => event('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta: i === 0 ? word : ` ${word}` })),
    event('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text }),
    event('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part }),
    event('response.output_item.done', { output_index: 0, item }),
    event('response.completed', { response: responseObject(id, model, reply, usage, 'completed', tier) }),
  ];
}

function messagesEvents(id: string, model: string, reply: string[], usage: FakeUsage): SseEvent[] {
  const { server_tool_use: serverTools, ...wire } = anthropicUsage(usage);
  return [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: `msg_fake${id}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...wire, output_tokens: 1 },
        },
      },
    },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
    ...reply.map((word, i) => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: i === 0 ? word : ` ${word}` } },
    })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output, ...(serverTools && { server_tool_use: serverTools }) } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}

function sendError(res: ServerResponse, flavour: Flavour, status: number, retryAfterMs: number): void {
  const headers = { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))), 'retry-after-ms': String(retryAfterMs) };
  const rateLimited = status === 429;
  if (flavour === 'messages') {
    sendJson(
      res,
      status,
      { type: 'error', error: { type: rateLimited ? 'rate_limit_error' : 'api_error', message: rateLimited ? 'Rate limited (fake)' : 'Internal server error (fake)' } },
      { ...headers, 'request-id': 'req_fake_error' },
    );
  } else {
    sendJson(
      res,
      status,
      { error: { message: rateLimited ? 'Rate limit reached (fake)' : 'The server had an error (fake)', type: rateLimited ? 'requests' : 'server_error', param: null, code: rateLimited ? 'rate_limit_exceeded' : null } },
      { ...headers, 'x-request-id': 'req_fake_error' },
    );
  }
}

function requestIdHeader(flavour: Flavour, id: string): Record<string, string> {
  return flavour === 'messages' ? { 'request-id': `req_fake${id}` } : { 'x-request-id': `req_fake${id}` };
}

// ---- HTTP plumbing ----

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function sendEvents(res: ServerResponse, events: SseEvent[], cut: boolean, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  // A cut stream delivers its first events (the start, and a little content), then the connection drops.
  const sent = cut ? events.slice(0, 4) : events;
  for (const event of sent) {
    const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
    res.write(`${event.event !== undefined ? `event: ${event.event}\n` : ''}data: ${data}\n\n`);
  }
  if (!cut) {
    res.end();
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  res.destroy();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
