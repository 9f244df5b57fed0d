import type { DecodedSpan } from '../../processor/src/otlp/index.js';
import type { RecordedRequest } from '../../processor/src/demo/fake-provider.js';

export const SCOPE_PREFIX = '@genai-chargeback/instrumentation';

/** The GenAI spans this package emitted. */
export function genAiSpans(spans: readonly DecodedSpan[]): DecodedSpan[] {
  return spans.filter((span) => span.scopeName.startsWith(SCOPE_PREFIX));
}

/** The one GenAI span of a scenario (the apps put the scenario name in `chargeback.feature`). */
export function spanOf(spans: readonly DecodedSpan[], feature: string): DecodedSpan {
  const found = genAiSpans(spans).filter((span) => span.attributes['chargeback.feature'] === feature);
  if (found.length !== 1) throw new Error(`expected one GenAI span for ${feature}, got ${found.length}`);
  return found[0]!;
}

/** Requests that carried any attribution baggage entry. */
export function withAttributionBaggage(requests: readonly RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => /(^|,)\s*(chargeback\.|user\.id|deployment\.environment\.name)/.test(request.headers['baggage'] ?? ''));
}

export const USAGE_KEYS = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
] as const;
