/** What a token grants: sending telemetry (OTLP) or reading results (reports, budgets, metrics). */
export type Access = 'ingest' | 'read';

export type TeamMismatchAction = 'unallocate' | 'reject';

/** The holder of a verified token. */
export interface Principal {
  name: string;
  access: Access;
  /** Teams an ingest token's spans may claim; null: any. */
  teams: ReadonlySet<string> | null;
  onTeamMismatch: TeamMismatchAction;
}
