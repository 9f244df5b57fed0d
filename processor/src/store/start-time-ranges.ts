export interface StartTimeRange<T> {
  minMs: number;
  maxMs: number;
  items: T[];
}

/**
 * Splits items into ranges of start time at the widest gaps over `minGapMs`, at most `maxRanges` of them, so a
 * lookup bounded by each range's start times reads only the ledger rows near them. One range over everything
 * would let a single outlier (a span with an unset start time, dated 1970) widen every lookup to the whole
 * ledger; a range per item would cost a scan each.
 */
export function splitByStartTime<T>(items: readonly T[], startMs: (item: T) => number, maxRanges: number, minGapMs: number): Array<StartTimeRange<T>> {
  const sorted = items.map((item) => ({ item, start: startMs(item) })).sort((a, b) => a.start - b.start);
  const starts = sorted.map((entry) => entry.start);
  const gaps: Array<{ at: number; width: number }> = [];
  starts.forEach((start, i) => {
    const width = i === 0 ? 0 : start - (starts[i - 1] as number);
    if (width > minGapMs) gaps.push({ at: i, width });
  });
  const cuts = gaps
    .sort((a, b) => b.width - a.width)
    .slice(0, maxRanges - 1)
    .map((gap) => gap.at)
    .sort((a, b) => a - b);
  const ranges: Array<StartTimeRange<T>> = [];
  let from = 0;
  for (const to of [...cuts, sorted.length]) {
    if (to > from) {
      ranges.push({ minMs: starts[from] as number, maxMs: starts[to - 1] as number, items: sorted.slice(from, to).map((entry) => entry.item) });
    }
    from = to;
  }
  return ranges;
}
