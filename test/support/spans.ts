import type { Attributes, DecodedSpan } from '../../processor/src/otlp/types.js';

let nextSpan = 1;

/** A decoded span with sensible defaults; tests override what they are about. */
export function makeSpan(overrides: Partial<DecodedSpan> & { attributes?: Attributes } = {}): DecodedSpan {
  const start = overrides.startTimeUnixNano ?? 1_763_800_000_000_000_000n;
  return {
    resource: { 'service.name': 'test-service' },
    scopeName: 'test',
    scopeVersion: '1.0.0',
    traceId: 'a'.repeat(32),
    spanId: (nextSpan++).toString(16).padStart(16, '0'),
    parentSpanId: '',
    name: 'chat gpt-4.1',
    kind: 3,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 250_000_000n,
    attributes: {},
    statusCode: 0,
    statusMessage: '',
    links: [],
    ...overrides,
  };
}
