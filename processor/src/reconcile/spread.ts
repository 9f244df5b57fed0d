import type { TeamSpend } from './ledger-query.js';

/**
 * Spreads a month's unexplained remainder (invoice − ledger) across teams in proportion to their direct spend, so
 * the chargeback sums to the invoice to the nano-dollar. Integer shares by the largest-remainder method: floors
 * first, then the leftover nanos one each to the largest fractions (ties by team name), never a rounding drift.
 * The unallocated line (team null) keeps its direct spend and takes no share: it is spread by the showback rules.
 */
export interface SpreadLine {
  team: string | null;
  directNanos: bigint;
  remainderNanos: bigint;
  totalNanos: bigint;
}

export interface Spread {
  invoiceNanos: bigint;
  ledgerNanos: bigint;
  remainderNanos: bigint;
  lines: SpreadLine[];
}

export function spreadRemainder(invoiceNanos: bigint, teams: readonly TeamSpend[]): Spread {
  const ledgerNanos = teams.reduce((sum, t) => sum + t.costNanos, 0n);
  const remainderNanos = invoiceNanos - ledgerNanos;
  const weighted = teams.filter((t) => t.team !== null && t.costNanos > 0n);
  const weightTotal = weighted.reduce((sum, t) => sum + t.costNanos, 0n);
  const shares = new Map<string | null, bigint>();
  if (weightTotal === 0n) {
    // Nobody to weigh by: the remainder stays visible on the unallocated line.
    shares.set(null, remainderNanos);
  } else {
    const magnitude = remainderNanos < 0n ? -remainderNanos : remainderNanos;
    const sign = remainderNanos < 0n ? -1n : 1n;
    const parts = weighted.map((t) => ({
      team: t.team,
      floor: (magnitude * t.costNanos) / weightTotal,
      fraction: (magnitude * t.costNanos) % weightTotal,
    }));
    let leftover = magnitude - parts.reduce((sum, p) => sum + p.floor, 0n);
    const byFraction = [...parts].sort((a, b) => {
      if (a.fraction !== b.fraction) return a.fraction > b.fraction ? -1 : 1;
      return String(a.team).localeCompare(String(b.team));
    });
    for (const part of byFraction) {
      if (leftover === 0n) break;
      part.floor += 1n;
      leftover -= 1n;
    }
    for (const part of parts) shares.set(part.team, sign * part.floor);
  }
  const lines: SpreadLine[] = teams.map((t) => {
    const share = shares.get(t.team) ?? 0n;
    return { team: t.team, directNanos: t.costNanos, remainderNanos: share, totalNanos: t.costNanos + share };
  });
  if (!teams.some((t) => t.team === null) && shares.has(null)) {
    lines.push({ team: null, directNanos: 0n, remainderNanos: remainderNanos, totalNanos: remainderNanos });
  }
  return { invoiceNanos, ledgerNanos, remainderNanos, lines };
}
