import type { Command } from 'commander';
import { registerBudgetsCommand } from './budgets.js';
import { registerDemo } from './demo.js';
import { registerPricesCommand } from './prices.js';
import { registerQueryCommand } from './query.js';
import { registerRebuildActions } from './rebuild-actions.js';
import { registerServe } from './serve.js';
import { registerReconcileCommand } from './reconcile.js';
import { registerReportCommand } from './report.js';

/** Each command lives in its own module and adds itself to the program here. */
export function registerCommands(program: Command): void {
  registerServe(program);
  registerDemo(program);
  registerRebuildActions(program);
  registerPricesCommand(program);
  registerReconcileCommand(program);
  registerQueryCommand(program);
  registerReportCommand(program);
  registerBudgetsCommand(program);
}
