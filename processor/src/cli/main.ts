#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { reportCliError } from './errors.js';

const program = new Command()
  .name('genai-chargeback')
  .description('Which team, project, feature and customer spent what on AI model APIs, from OpenTelemetry traces')
  .showHelpAfterError()
  // Usage mistakes exit 2 like every other user error; help and --version exit 0.
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

registerCommands(program);

program.parseAsync(process.argv).catch(reportCliError);
