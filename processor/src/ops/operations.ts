import type { Logger } from 'pino';
import { AccessControl } from '../auth/access-control.js';
import { assertSafeExposure } from '../auth/exposure.js';
import { loadTokens } from '../auth/load-tokens.js';
import type { Principal } from '../auth/principal.js';
import { teamBindingPass, type TeamBindingCounters } from '../auth/team-binding.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { compileRules } from '../attribution/resolve-attribution.js';
import type { Config } from '../config/schema.js';
import { limitsPass, type LimitsCounters } from '../limits/limits-pass.js';
import type { IngestPipeline } from '../pipeline/ingest.js';
import type { SpanPass } from '../pipeline/span-pass.js';
import { UserIdPseudonymizer } from '../privacy/pseudonymize.js';
import type { ReceiverApp } from '../receiver/http-app.js';
import type { ReceiverGuard } from '../receiver/guard.js';
import type { ReceiverMetrics } from '../receiver/metrics.js';
import type { RollupStage } from '../rollup/rollup-stage.js';
import type { Forwarding } from '../forward/index.js';
import type { Database } from '../store/database.js';
import type { LedgerWriter } from '../store/ledger-writer.js';
import { MemoryLimiter } from './memory-limiter.js';
import { createMetricsRegistry } from './metrics.js';
import { readiness } from './readiness.js';

/** The running parts /metrics and /readyz report on. */
export interface OperatedParts {
  db: Database;
  writer: LedgerWriter;
  pipeline: IngestPipeline;
  rollup: RollupStage;
  receiverMetrics: ReceiverMetrics;
  forwarding: Forwarding;
}

export interface Operations {
  /** For createApp and serveGrpc: auth, memory admission, caps, team binding, pseudonymization. */
  guard: ReceiverGuard;
  /** Adds GET /readyz and GET /metrics to the app and starts the memory limiter. */
  mount(app: ReceiverApp, parts: OperatedParts): void;
  /** Not ready from now on (graceful stop under way); stops the memory limiter. */
  stop(): void;
}

/**
 * Everything of the processor's security and operations that sits around the pipeline, built from config.
 * Refuses (UserError, exit 2) to run without tokens on a non-loopback host, and reads token files and variables
 * once, before any port is opened.
 */
export async function createOperations(config: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Operations> {
  assertSafeExposure(config.receivers.host, config.auth);
  const tokens = await loadTokens(config.auth, env);
  const access = new AccessControl(new TokenVerifier(tokens));
  const ingestPrincipals = new Map<string, Principal>(
    tokens.filter((entry) => entry.principal.access === 'ingest').map((entry) => [entry.principal.name, entry.principal]),
  );

  const limitsCounters: LimitsCounters = { rejectedSpans: 0, truncatedValues: 0 };
  const teamBinding: TeamBindingCounters = { unallocated: 0, rejected: 0 };
  const passes: SpanPass[] = [limitsPass(config.limits, limitsCounters)];
  if (ingestPrincipals.size > 0) passes.push(teamBindingPass(ingestPrincipals, compileRules(config.attribution.rules), teamBinding));
  const pseudonymize = config.attribution.pseudonymize_user_ids;
  if (pseudonymize !== undefined) passes.push(new UserIdPseudonymizer(pseudonymize.key).pass());

  const memory = MemoryLimiter.fromConfig(config.memory_limit);
  let stopping = false;
  logger.info(
    {
      auth: { ingestTokens: config.auth.ingest.length, readTokens: config.auth.read.length },
      memoryLimitMib: memory === null ? 0 : Math.round(memory.state().limitBytes / 1024 / 1024),
      pseudonymizeUserIds: pseudonymize !== undefined,
    },
    'security and limits',
  );

  return {
    guard: {
      authenticate: access.authenticate,
      admit: () => memory?.admit(),
      passes,
    },
    mount(app, parts) {
      let storedSpans = 0;
      parts.pipeline.addListener({
        onStored: (batch) => {
          for (const run of batch.traceRuns) storedSpans += run.spans;
        },
      });
      const registry = createMetricsRegistry({
        receiver: parts.receiverMetrics,
        ingest: parts.pipeline.counters,
        storedSpans: () => storedSpans,
        rollup: parts.rollup,
        writer: parts.writer,
        queueCapacity: config.storage.max_queued_spans,
        limits: limitsCounters,
        teamBinding,
        authFailures: access.failures,
        memory: () => memory?.state() ?? null,
        forwarding: () => parts.forwarding.metrics.snapshot(),
        duckdbMemory: async () => {
          const reader = await parts.db.connection.runAndReadAll(
            'SELECT lower(tag) AS tag, memory_usage_bytes::BIGINT AS bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0',
          );
          return reader.getRowObjectsJS().map((row) => ({ tag: String(row.tag), bytes: Number(row.bytes) }));
        },
        onSourceError: (source, error) => logger.warn({ err: error, source }, 'a /metrics source failed; scraped without it'),
      });
      app.get('/metrics', async (c) => {
        c.header('Content-Type', registry.contentType);
        return c.body(await registry.metrics());
      });
      app.get('/readyz', async (c) => {
        const result = await readiness([
          { name: 'shutdown', check: async () => (stopping ? 'stopping' : null) },
          { name: 'memory', check: async () => (memory?.isRefusing === true ? 'over the memory limit: refusing new data' : null) },
          { name: 'database', check: async () => (await parts.db.connection.run('SELECT 1'), null) },
          { name: 'storage', check: () => parts.writer.storageProblem() },
        ]);
        return c.json({ status: result.ready ? 'ready' : 'not ready', checks: result.checks }, result.ready ? 200 : 503);
      });
      memory?.start();
    },
    stop() {
      stopping = true;
      memory?.stop();
    },
  };
}
