/** The budget gate: refuses model calls in scopes whose `block` budget is exhausted (processor/src/budgets/README.md). */
export { BudgetGate, checkBudget, onBudgetExceeded, startBudgetGate, stopBudgetGate, type BudgetDecision, type BudgetGateOptions, type GatedCall } from './gate.js';
export { BudgetExceededError, BudgetGateError, BudgetStatusUnavailableError } from './errors.js';
export { FallbackRegistry, type BudgetFallback, type BudgetFallbackHandler, type BudgetRejection } from './fallbacks.js';
export { readBudgetSettings, DEFAULT_BUDGET_SETTINGS, type BudgetGateSettings, type FailMode } from './settings.js';
