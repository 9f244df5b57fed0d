/**
 * Exact money arithmetic. Amounts are BigInt nano-dollars (the scale of `llm_calls.cost_usd`, DECIMAL(18,9)),
 * parsed from the decimal text the provider sent: float dollars from OpenAI, decimal-string cents from Anthropic.
 */

const NANOS_PER_USD = 1_000_000_000n;

const decimalPattern = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * `text × 10^scale` as a BigInt, rounded half away from zero when the text has more digits than the scale keeps.
 * Returns null when the text is not a decimal number.
 */
export function parseScaledDecimal(text: string, scale: number): bigint | null {
  const match = decimalPattern.exec(text.trim());
  if (!match) return null;
  const [, sign = '', whole = '', fraction = '', exponentText] = match;
  const exponent = Number(exponentText ?? '0') + scale - fraction.length;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return null;
  let digits = BigInt(whole + fraction);
  if (exponent >= 0) {
    digits *= 10n ** BigInt(exponent);
  } else {
    const divisor = 10n ** BigInt(-exponent);
    const remainder = digits % divisor;
    digits /= divisor;
    if (remainder * 2n >= divisor) digits += 1n;
  }
  return sign === '-' ? -digits : digits;
}

/** Dollars as decimal text (e.g. OpenAI's `amount.value`) → nano-dollars. */
export function dollarsToNanos(text: string): bigint | null {
  return parseScaledDecimal(text, 9);
}

/** Cents as decimal text (Anthropic's `amount`, "lowest currency units") → nano-dollars. */
export function centsToNanos(text: string): bigint | null {
  return parseScaledDecimal(text, 7);
}

/** Nano-dollars → dollars with all nine decimals, e.g. `-1.500000000`: exact, for CSV and storage. */
export function formatNanos(nanos: bigint): string {
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  const whole = magnitude / NANOS_PER_USD;
  const fraction = (magnitude % NANOS_PER_USD).toString().padStart(9, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Nano-dollars → dollars rounded (half away from zero) to `decimals` places, for tables. */
export function formatUsd(nanos: bigint, decimals = 2): string {
  const unit = 10n ** BigInt(9 - decimals);
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  const rounded = (magnitude + unit / 2n) / unit;
  const text = rounded.toString().padStart(decimals + 1, '0');
  const body = decimals === 0 ? text : `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
  return `${negative && rounded !== 0n ? '-' : ''}${body}`;
}

export function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}
