/** `@genai-chargeback/processor` as a library: assemble the service, or use its parts in your own. */
export { startService, type RunningService } from './service.js';
export { loadConfig, parseConfig, ConfigError } from './config/load-config.js';
export type { Config } from './config/schema.js';
export { createApp, serve, serveGrpc, type ReceiverApp } from './receiver/index.js';
export { IngestPipeline, type StoredBatch, type StoredBatchListener } from './pipeline/ingest.js';
export type { TraceSink, ExportContext, ExportOutcome } from './pipeline/trace-sink.js';
export { RetryableError } from './pipeline/trace-sink.js';
export { loadPriceBook, priceCall, PriceBook } from './pricing/index.js';
export { openDatabase, type Database } from './store/database.js';
export type { LlmCall } from './ledger/llm-call.js';
export * from './otlp/index.js';
