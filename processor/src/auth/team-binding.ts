import { attributionKeys, foreignMetadataPrefixes } from '../attribution/keys.js';
import { resolveAttribution, type CompiledRule } from '../attribution/resolve-attribution.js';
import type { Attributes, DecodedSpan, DecodedTraces } from '../otlp/types.js';
import { rejectSpans, type SpanPass } from '../pipeline/span-pass.js';
import type { Principal } from './principal.js';

/** Set on a span whose team claim its token may not make: the claimed team, and the token that sent it. */
export const REFUSED_TEAM_KEY = 'chargeback.refused_team';
export const REFUSED_BY_KEY = 'chargeback.refused_by_token';

export interface TeamBindingCounters {
  /** Spans stored unallocated because their team was not the token's to claim. */
  unallocated: number;
  rejected: number;
}

/** Every attribute through which a span or its resource can claim a team (see resolveAttribution). */
const teamClaimKeys = [
  ...attributionKeys.team,
  ...foreignMetadataPrefixes.flatMap((prefix) => [`${prefix}chargeback.team`, `${prefix}team`]),
];

/**
 * Team binding: a service's token may be bound to the teams it may bill. A span whose team, resolved exactly as
 * the ledger resolves it (span > resource > rules), is outside those teams is either rejected (partial success)
 * or has its team claims removed, so the call and its trace's action are stored unallocated, and is flagged
 * with the claimed team and the token's name. The flags are the processor's alone: spans cannot bring their own.
 */
export function teamBindingPass(
  principals: ReadonlyMap<string, Principal>,
  rules: CompiledRule[],
  counters: TeamBindingCounters = { unallocated: 0, rejected: 0 },
): SpanPass {
  return (traces, context) => {
    const principal = context.principal === undefined ? undefined : principals.get(context.principal);
    for (const span of traces.spans) {
      delete span.attributes[REFUSED_TEAM_KEY];
      delete span.attributes[REFUSED_BY_KEY];
    }
    if (principal === undefined || principal.teams === null) return traces;
    const allowed = principal.teams;
    const rejected = new Map<number, string>();
    const strippedResources = new Map<Attributes, Attributes>();
    traces.spans.forEach((span, index) => {
      const team = resolveAttribution(span.attributes, span.resource, rules).team;
      if (team === null || allowed.has(team)) return;
      if (principal.onTeamMismatch === 'reject') {
        rejected.set(
          index,
          `span ${span.spanId}: team "${team}" may not be claimed with ingest token "${principal.name}" (allowed: ${[...allowed].join(', ')})`,
        );
        return;
      }
      unallocate(span, team, principal.name, strippedResources);
      counters.unallocated++;
    });
    counters.rejected += rejected.size;
    return rejectSpans(traces, rejected);
  };
}

function unallocate(span: DecodedSpan, team: string, tokenName: string, strippedResources: Map<Attributes, Attributes>): void {
  for (const key of teamClaimKeys) delete span.attributes[key];
  if (teamClaimKeys.some((key) => key in span.resource)) {
    // The resource object is shared by the spans of one ResourceSpans: copy it once, without the claim.
    let stripped = strippedResources.get(span.resource);
    if (stripped === undefined) {
      stripped = { ...span.resource };
      for (const key of teamClaimKeys) delete stripped[key];
      strippedResources.set(span.resource, stripped);
    }
    span.resource = stripped;
  }
  span.attributes[REFUSED_TEAM_KEY] = team;
  span.attributes[REFUSED_BY_KEY] = tokenName;
}

/** For stages that resolve attribution again (rules may set a team): the span's team was refused. */
export function teamRefused(span: DecodedSpan): boolean {
  return span.attributes[REFUSED_BY_KEY] !== undefined;
}
