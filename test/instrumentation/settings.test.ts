import { describe, expect, it } from 'vitest';
import { readSettings } from '../../instrumentation/src/config/env.js';

describe('instrumentation settings from the environment', () => {
  it('has documented defaults, strict attribution only for development and test', () => {
    expect(readSettings({}).settings).toEqual({
      baggageHosts: 'loopback,private,cluster',
      strictAttribution: false,
      openaiStreamUsage: true,
      modelHttpSpans: false,
      shutdownTimeoutMs: 3000,
    });
    expect(readSettings({ NODE_ENV: 'test' }).settings.strictAttribution).toBe(true);
  });

  it('reads valid values', () => {
    const { settings, problems } = readSettings({
      GENAI_CHARGEBACK_BAGGAGE_HOSTS: '*.corp.example',
      GENAI_CHARGEBACK_STRICT_ATTRIBUTION: 'true',
      GENAI_CHARGEBACK_OPENAI_STREAM_USAGE: 'false',
      GENAI_CHARGEBACK_MODEL_HTTP_SPANS: '1',
      GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS: '750',
    });
    expect(problems).toEqual([]);
    expect(settings).toEqual({ baggageHosts: '*.corp.example', strictAttribution: true, openaiStreamUsage: false, modelHttpSpans: true, shutdownTimeoutMs: 750 });
  });

  it('reports a bad value naming the variable and the fix, and keeps the default', () => {
    const { settings, problems } = readSettings({ GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS: 'soon', GENAI_CHARGEBACK_MODEL_HTTP_SPANS: 'maybe' });
    expect(problems).toEqual([
      'GENAI_CHARGEBACK_MODEL_HTTP_SPANS="maybe" is not valid; use true or false. Using the default.',
      'GENAI_CHARGEBACK_SHUTDOWN_TIMEOUT_MS="soon" is not valid; use milliseconds, e.g. 3000. Using the default.',
    ]);
    expect(settings.shutdownTimeoutMs).toBe(3000);
    expect(settings.modelHttpSpans).toBe(false);
  });
});
