import { describe, expect, it } from 'vitest';
import { toGenAiCall } from '../../processor/src/normalize/genai-call.js';
import { NestedCallFilter } from '../../processor/src/pipeline/nested-calls.js';
import { toLlmCall } from '../../processor/src/pipeline/to-llm-call.js';
import { makeSpan } from '../support/spans.js';

const unpriced = { cost_nanos: null, cost_source: 'unpriced', price_id: null } as const;
const unattributed = { team: null, project: null, feature: null, customer: null, user_id: null, environment: null, action: null };

describe('toLlmCall', () => {
  it('gives a span that names itself as parent no parent, so the call is not taken for its own nested repeat', () => {
    const span = makeSpan({ spanId: '00000000000000e1', parentSpanId: '00000000000000e1', attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 5 } });
    const call = toGenAiCall(span);
    expect(call).not.toBeNull();
    const row = toLlmCall(call!, unattributed, unpriced, new Date());
    expect(row.parent_span_id).toBeNull();
    expect(new NestedCallFilter().admit([row]).nested).toStrictEqual([false]);
  });
});
