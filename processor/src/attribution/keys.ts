/** The attribution contract (DESIGN.md): column → attribute keys, the chargeback key first. */
export const attributionKeys = {
  team: ['chargeback.team'],
  project: ['chargeback.project'],
  feature: ['chargeback.feature'],
  customer: ['chargeback.customer'],
  action: ['chargeback.action'],
  user_id: ['user.id', 'enduser.id'],
  environment: ['deployment.environment.name', 'deployment.environment'],
} as const;

export type AttributionColumn = keyof typeof attributionKeys;
export type Attribution = Record<AttributionColumn, string | null>;
export const attributionColumns = Object.keys(attributionKeys) as AttributionColumn[];

/** Columns a processor rule may set (a rule names owners, not users or actions). */
export type RuleColumn = 'team' | 'project' | 'feature' | 'customer' | 'environment';

/**
 * Other instrumentations carry user metadata under their own prefixes (OpenLLMetry association properties,
 * Vercel AI SDK telemetry metadata); `…chargeback.team` or plain `…team` there counts as a span attribute.
 */
export const foreignMetadataPrefixes = ['traceloop.association.properties.', 'ai.telemetry.metadata.'];
