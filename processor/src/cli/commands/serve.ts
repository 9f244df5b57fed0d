import type { Command } from 'commander';
import { UnsafeExposureError } from '../../auth/exposure.js';
import { AuthConfigError } from '../../auth/load-tokens.js';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import { createLogger } from '../../logging.js';
import { startService } from '../../service.js';
import { collect, parsePortOption } from '../options.js';

interface ServeOptions {
  config?: string;
  db?: string;
  prices: string[];
  httpPort?: string;
  grpcPort?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('receive OTLP traces (HTTP 4318, gRPC 4317), price GenAI calls and write the ledger to DuckDB')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--db <file>', 'DuckDB file (overrides storage.db)')
    .option('--prices <file>', 'price-book file merged over the built-in book (repeatable, later files win)', collect, [])
    .option('--http-port <port>', 'OTLP/HTTP port, 0 for a free one (overrides receivers.http.port)')
    .option('--grpc-port <port>', 'OTLP/gRPC port, 0 for a free one (overrides receivers.grpc.port)')
    .action(async (options: ServeOptions) => {
      const config = await loadConfig(options.config);
      if (options.db !== undefined) config.storage.db = options.db;
      if (config.storage.ack === 'journal' && config.storage.db === ':memory:') {
        throw new ConfigError("--db :memory: cannot keep a journal: storage.ack 'journal' needs a database file");
      }
      config.prices = [...config.prices, ...options.prices];
      if (options.httpPort !== undefined) config.receivers.http.port = parsePortOption('--http-port', options.httpPort);
      if (options.grpcPort !== undefined) config.receivers.grpc.port = parsePortOption('--grpc-port', options.grpcPort);

      const logger = createLogger();
      const service = await startService(config, logger).catch((error: unknown) => {
        // Tokens and exposure are checked as the service starts, after the file was read: name the file, as the
        // config's own messages do.
        if (options.config !== undefined && (error instanceof AuthConfigError || error instanceof UnsafeExposureError)) {
          throw new ConfigError(`${options.config}: ${error.message}`);
        }
        throw error;
      });
      let signals = 0;
      const shutdown = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: exiting without finishing the graceful stop');
          process.exit(130);
        }
        logger.info({ signal }, 'stopping: finishing in-flight batches');
        service.stop().then(
          () => {
            logger.info('stopped');
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'graceful stop failed');
            process.exit(1);
          },
        );
      };
      // Before the 'listening' line: a supervisor may signal the moment it reads it.
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);

      logger.info(
        {
          http: { host: service.http.host, port: service.http.port },
          grpc: { host: service.grpc.host, port: service.grpc.port },
          db: config.storage.db,
          priceBooks: service.priceBook.files.map((file) => file.tag),
        },
        'genai-chargeback listening',
      );
    });
}
