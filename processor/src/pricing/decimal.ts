/**
 * Exact decimal arithmetic for money: prices are written as decimals ("0.125", 2.5, "1e-7") and costs are
 * summed as BigInt integers, so no binary floating point ever enters a cost.
 */

const decimalPattern = /^(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$|^\.(\d+)(?:[eE]([+-]?\d+))?$/;

/** A non-negative decimal as an integer mantissa times a power of ten. */
interface Decimal {
  digits: bigint;
  exponent: number;
}

export class DecimalPrecisionError extends Error {
  override name = 'DecimalPrecisionError';
}

function parseDecimal(text: string): Decimal | null {
  const match = decimalPattern.exec(text.trim());
  if (!match) return null;
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? match[4] ?? '';
  const exponent = Number(match[3] ?? match[5] ?? '0');
  if (!Number.isSafeInteger(exponent)) return null;
  return { digits: BigInt(whole + fraction), exponent: exponent - fraction.length };
}

/** The text of a JSON number or decimal string; numbers print in their shortest round-trip form ("0.1", "1e-7"). */
export function decimalText(value: number | string): string {
  return typeof value === 'number' ? String(value) : value.trim();
}

export function isDecimal(value: number | string): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  return parseDecimal(value) !== null;
}

/**
 * `value × 10^scale` as an exact integer. Throws DecimalPrecisionError when the value has more decimal places
 * than `scale` can hold (a rate written with 13 decimals cannot be represented exactly at scale 12).
 */
export function toScaledExact(value: number | string, scale: number): bigint {
  const parsed = parseDecimal(decimalText(value));
  if (!parsed) throw new RangeError(`not a non-negative decimal: ${String(value)}`);
  const shift = parsed.exponent + scale;
  if (shift >= 0) return parsed.digits * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  if (parsed.digits % divisor !== 0n) throw new DecimalPrecisionError(`more than ${scale} decimal places`);
  return parsed.digits / divisor;
}

/** `value × 10^scale` rounded once, half to even. */
export function toScaledRounded(value: number | string, scale: number): bigint {
  const parsed = parseDecimal(decimalText(value));
  if (!parsed) throw new RangeError(`not a non-negative decimal: ${String(value)}`);
  const shift = parsed.exponent + scale;
  if (shift >= 0) return parsed.digits * 10n ** BigInt(shift);
  return divideHalfEven(parsed.digits, 10n ** BigInt(-shift));
}

/** numerator / divisor for non-negative operands, rounded half to even (banker's rounding: no drift up). */
export function divideHalfEven(numerator: bigint, divisor: bigint): bigint {
  const quotient = numerator / divisor;
  const twiceRemainder = (numerator % divisor) * 2n;
  if (twiceRemainder > divisor) return quotient + 1n;
  if (twiceRemainder === divisor && quotient % 2n === 1n) return quotient + 1n;
  return quotient;
}
