/**
 * The processor for bench/forwarding.ts, in a process of its own: the assembled service (startService) with the
 * `forward` section of the config given as JSON in argv, wired as processor/src/forward/README.md says.
 * Prints `{"port":…}` once listening; on SIGTERM drains forwarding, stops, and prints its forwarding metrics.
 */
import pino from 'pino';
import { parseConfig } from '../processor/src/config/load-config.js';
import { createForwarding, type Forwarding } from '../processor/src/forward/index.js';
import { startService, type RunningService } from '../processor/src/service.js';

const [dbPath, forwardJson] = process.argv.slice(2);
const config = parseConfig(
  { storage: { db: dbPath }, receivers: { http: { port: 0 }, grpc: { port: 0 } }, forward: JSON.parse(forwardJson ?? '[]') as unknown },
  'bench',
);
const logger = pino({ level: 'warn' }, pino.destination(2));
const service: RunningService & { forwarding?: Forwarding } = await startService(config, logger);
// Once service.ts assembles forwarding itself (as `forwarding`), this script only reads it.
const wiredByService = service.forwarding !== undefined;
const forwarding = service.forwarding ?? createForwarding(config.forward, { db: service.db.instance, logger });
if (!wiredByService) {
  service.pipeline.addListener(forwarding.stage);
  service.rollup.onActionsWritten(forwarding.onActionsWritten);
  service.rollup.onTracesWithoutAction(forwarding.onTracesWithoutAction);
}
process.stdout.write(`${JSON.stringify({ port: service.http.port })}\n`);
process.once('SIGTERM', () => {
  void (async () => {
    // The load is over: what is still queued is sent before the service (and its database) stops.
    if (!wiredByService) await forwarding.shutdown(30_000);
    await service.stop();
    process.stdout.write(`${JSON.stringify({ metrics: forwarding.metrics.snapshot() })}\n`);
    process.exit(0);
  })();
});
