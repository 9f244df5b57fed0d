import type { SpanPass } from '../pipeline/span-pass.js';
import { applyLimits } from './apply-limits.js';
import type { LimitsConfig } from './limits-config.js';

export interface LimitsCounters {
  rejectedSpans: number;
  truncatedValues: number;
}

/** The caps as a receiver pass, counting what they rejected and truncated for /metrics. */
export function limitsPass(limits: LimitsConfig, counters: LimitsCounters): SpanPass {
  return (traces) => {
    const outcome = applyLimits(traces, limits);
    counters.rejectedSpans += outcome.rejectedSpans;
    counters.truncatedValues += outcome.truncatedValues;
    return outcome.traces;
  };
}
