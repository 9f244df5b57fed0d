import { abs } from '../ledger/money.js';

export type Unit = 'requests' | 'tokens' | 'usd';

/**
 * A difference counts only when it is beyond BOTH the relative and the absolute bound: 2% of a $0.10 day is noise,
 * and $1 on a $10,000 day is too.
 */
export interface Tolerance {
  percent: number;
  minUsdNanos: bigint;
  minTokens: bigint;
  minRequests: bigint;
}

/** Percent as an integer count of millionths of the whole, so the test stays exact for BigInt amounts. */
export function beyondTolerance(provider: bigint, ledger: bigint, unit: Unit, tolerance: Tolerance): boolean {
  const delta = abs(provider - ledger);
  const minimum = unit === 'usd' ? tolerance.minUsdNanos : unit === 'tokens' ? tolerance.minTokens : tolerance.minRequests;
  if (delta <= minimum) return false;
  const percentMillionths = BigInt(Math.round(tolerance.percent * 10_000));
  return delta * 1_000_000n > percentMillionths * abs(provider);
}
