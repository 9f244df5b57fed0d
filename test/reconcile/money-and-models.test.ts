import { describe, expect, it } from 'vitest';
import { centsToNanos, dollarsToNanos, formatNanos, formatUsd } from '../../processor/src/ledger/money.js';
import { baseModelId } from '../../processor/src/pricing/model-id.js';

describe('exact money', () => {
  it('reads OpenAI float dollars from their decimal text, not through a double', () => {
    expect(dollarsToNanos('2.341234')).toBe(2_341_234_000n);
    expect(dollarsToNanos('0.1')! + dollarsToNanos('0.2')!).toBe(300_000_000n);
    expect(dollarsToNanos('1e-7')).toBe(100n);
    expect(dollarsToNanos('-0.5')).toBe(-500_000_000n);
    // 12 decimals do not fit nano-dollars: rounded half away from zero.
    expect(dollarsToNanos('0.0000000015')).toBe(2n);
    expect(dollarsToNanos('12345678901234.123456789')).toBe(12_345_678_901_234_123_456_789n);
  });

  it('reads Anthropic amounts as cents', () => {
    expect(centsToNanos('123.864')).toBe(1_238_640_000n);
    expect(centsToNanos('123.78912')).toBe(1_237_891_200n);
    expect(centsToNanos('14')).toBe(140_000_000n);
  });

  it('rejects text that is not a decimal number', () => {
    expect(dollarsToNanos('12,50')).toBeNull();
    expect(dollarsToNanos('')).toBeNull();
    expect(centsToNanos('$1')).toBeNull();
  });

  it('formats nanos exactly and rounds for display', () => {
    expect(formatNanos(-1_500_000_000n)).toBe('-1.500000000');
    expect(formatNanos(56_000_000n)).toBe('0.056000000');
    expect(formatUsd(2_345_000_000n)).toBe('2.35');
    expect(formatUsd(-4_000_000n)).toBe('0.00');
    expect(formatUsd(-5_000_000n)).toBe('-0.01');
  });
});

describe('model ids', () => {
  it('resolves dated ids and aliases to the base id the price book uses', () => {
    expect(baseModelId('gpt-4.1-2025-04-14')).toBe('gpt-4.1');
    expect(baseModelId('gpt-4.1-mini-2025-04-14')).toBe('gpt-4.1-mini');
    expect(baseModelId('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(baseModelId('claude-3-5-haiku-latest')).toBe('claude-3-5-haiku');
    expect(baseModelId('GPT-4.1')).toBe('gpt-4.1');
  });

  it('keeps fine-tunes and undated ids as they are', () => {
    expect(baseModelId('ft:gpt-4o-mini-2024-07-18:acme::abc123')).toBe('ft:gpt-4o-mini-2024-07-18:acme::abc123');
    expect(baseModelId('o3')).toBe('o3');
    expect(baseModelId('text-embedding-3-small')).toBe('text-embedding-3-small');
  });
});
