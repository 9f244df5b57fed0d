import type { BudgetConfig } from '../config/schema.js';
import { heldByServiceNote, openLedgerReadOnly } from '../store/read-only-ledger.js';
import { budgetsFromConfig } from './budget.js';
import { loadBudgetSpend } from './ledger-spend.js';
import { fetchBudgets, type BudgetsAnswer } from './remote.js';
import { reportBudget } from './report.js';
import { SpendTracker } from './spend.js';

export interface BudgetsRead {
  /** For the user, on stderr: where the figures came from. */
  description: string;
  answer: BudgetsAnswer;
}

/**
 * Budgets as the CLI shows them: computed from the DuckDB file (read-only) with the config's budgets, or,
 * while `serve` holds the file, asked from the service (which then reports its own configured budgets).
 */
export async function readBudgets(options: { db: string; url: string; budgets: readonly BudgetConfig[]; now: Date }): Promise<BudgetsRead> {
  const database = await openLedgerReadOnly(options.db);
  if (database === null) return { description: heldByServiceNote(options.db, options.url), answer: await fetchBudgets(options.url) };
  try {
    const budgets = budgetsFromConfig(options.budgets);
    const tracker = new SpendTracker(budgets, await loadBudgetSpend(database.connection, budgets, options.now), options.now);
    return {
      description: `reading ${options.db} directly (read-only)`,
      answer: { as_of: options.now.toISOString(), budgets: tracker.states(options.now).map((state) => reportBudget(state, options.now)) },
    };
  } finally {
    await database.close();
  }
}
