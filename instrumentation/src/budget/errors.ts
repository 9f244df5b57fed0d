import type { Attribution } from '../attribution/keys.js';

/** A model call the budget gate refused before it reached the provider. Catch this to handle both kinds. */
export class BudgetGateError extends Error {
  override name = 'BudgetGateError';
}

/** A `block` budget covering the call's scope has reached its limit. */
export class BudgetExceededError extends BudgetGateError {
  override name = 'BudgetExceededError';
  /** The first budget that blocks the call (all of them: `budgets`). */
  readonly budget: string;
  /** When the last of the blocking budgets' windows ends and calls are allowed again. */
  readonly until: Date | undefined;

  constructor(
    readonly budgets: readonly { name: string; until: Date }[],
    readonly scope: Attribution,
  ) {
    const names = budgets.map((b) => `"${b.name}"`).join(', ');
    const until = budgets.reduce<Date | undefined>((latest, b) => (latest === undefined || b.until > latest ? b.until : latest), undefined);
    super(
      `model call refused: budget ${names} reached its limit for ${describe(scope)}` +
        (until === undefined ? '' : `; calls are allowed again from ${until.toISOString()}`),
    );
    this.budget = budgets[0]?.name ?? '';
    this.until = until;
  }
}

/** The processor could not be asked and the gate fails closed (GENAI_CHARGEBACK_BUDGET_FAIL_MODE=closed). */
export class BudgetStatusUnavailableError extends BudgetGateError {
  override name = 'BudgetStatusUnavailableError';

  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`model call refused: budget status from ${url} is unavailable (${reason}) and GENAI_CHARGEBACK_BUDGET_FAIL_MODE is closed`);
  }
}

function describe(scope: Attribution): string {
  const parts = Object.entries(scope).map(([key, value]) => `${key}=${value}`);
  return parts.length === 0 ? 'all calls' : parts.join(', ');
}
