import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseConfig } from '../config/load-config.js';
import { createLogger } from '../logging.js';
import { ReportCatalog } from '../reports/catalog.js';
import { prepareReport } from '../reports/execute-report.js';
import { formatTable } from '../reports/format.js';
import { instanceReportRunner } from '../reports/runner.js';
import { startService } from '../service.js';
import { openDatabase } from '../store/database.js';
import { startFakeProvider } from './fake-provider.js';

export interface DemoOptions {
  db: string;
  /** RAG searches sent to the search service. */
  searches: number;
  write: (text: string) => void;
}

const appsDir = fileURLToPath(new URL('../../demo/apps/', import.meta.url));
const preload = pathToFileURL(createRequire(import.meta.url).resolve('@genai-chargeback/instrumentation/register')).href;

/**
 * The main job on the embedded default: the processor on a DuckDB file, a fake model provider, and four
 * instrumented services (each a real `node --import …/register` process) for three teams and one nobody owns,
 * then the chargeback report. Everything it starts, it stops, also when it fails.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const say = (line: string) => options.write(`${line}\n`);
  const children: ChildProcess[] = [];
  for (const suffix of ['', '.wal']) rmSync(options.db + suffix, { force: true });

  const provider = await startFakeProvider({
    // Token counts of a typical call of each kind. The support bot's system prompt is cached: 6,144 of its
    // 8,200 input tokens are cache reads and 512 a cache write.
    models: {
      'claude-sonnet-4-6': { input: 8_200, cacheRead: 6_144, cacheCreation: 512, output: 420 },
      'text-embedding-3-small': { input: 24, output: 0 },
      'gpt-4.1-mini': { input: 3_600, output: 80 },
      'gpt-4.1': { input: 5_200, cacheRead: 2_048, output: 650 },
      'gpt-4.1-nano': { input: 410, output: 6 },
      'gpt-4o-mini': { input: 2_900, output: 350 },
    },
  });
  const config = parseConfig(
    { storage: { db: options.db }, receivers: { http: { port: 0 }, grpc: { port: 0 } }, rollup: { wait: '1s' } },
    'demo',
  );
  const service = await startService(config, createLogger('warn'));
  say(`processor: OTLP on ${service.http.url} (gRPC ${service.grpc.host}:${service.grpc.port}), ledger ${options.db}`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    OTEL_EXPORTER_OTLP_ENDPOINT: service.http.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OPENAI_BASE_URL: provider.openaiBaseURL,
    OPENAI_API_KEY: 'demo-key',
    ANTHROPIC_BASE_URL: provider.anthropicBaseURL,
    ANTHROPIC_API_KEY: 'demo-key',
  };
  const startApp = (file: string, extra: NodeJS.ProcessEnv): ChildProcess => {
    const child = spawn(process.execPath, ['--import', preload, `${appsDir}${file}`], {
      env: { ...env, ...extra },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return child;
  };
  const started = performance.now();
  try {
    const retriever = startApp('retriever.mjs', { OTEL_SERVICE_NAME: 'retriever' });
    const retrieverPort = await portOf(retriever);
    const search = startApp('search-api.mjs', {
      OTEL_SERVICE_NAME: 'search-api',
      RETRIEVER_URL: `http://127.0.0.1:${retrieverPort}`,
    });
    const searchPort = await portOf(search);
    say('services: search-api → retriever (RAG over two services), support-bot, classifier, legacy-reporter');

    const batchJobs = [
      startApp('support-bot.mjs', {
        OTEL_SERVICE_NAME: 'support-bot',
        OTEL_RESOURCE_ATTRIBUTES: 'chargeback.team=support,chargeback.project=helpdesk,deployment.environment.name=prod',
      }),
      startApp('classifier.mjs', {
        OTEL_SERVICE_NAME: 'ticket-classifier',
        OTEL_RESOURCE_ATTRIBUTES: 'chargeback.team=data,chargeback.project=ticket-tagging,deployment.environment.name=prod',
      }),
      startApp('legacy-reporter.mjs', { OTEL_SERVICE_NAME: 'legacy-reporter' }),
    ];
    await sendSearches(`http://127.0.0.1:${searchPort}`, options.searches);
    await Promise.all(batchJobs.map(exited));
    for (const server of [search, retriever]) server.kill('SIGTERM');
    await Promise.all([exited(search), exited(retriever)]);
    // The last traces go quiet for the roll-up's wait before their action is written.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await service.stop();
    await provider.close();
  }
  say(`${provider.requests.length} model requests answered by the fake provider in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  await printReports(options.db, options.write);
}

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`a demo service exited early (code ${code})`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function sendSearches(url: string, count: number): Promise<void> {
  const tenants = ['acme', 'globex', 'initech', 'umbrella'];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        const tenant = tenants[next++ % tenants.length] as string;
        const response = await fetch(`${url}/api/search?tenant=${tenant}`);
        if (!response.ok) throw new Error(`search-api answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
}

async function printReports(db: string, write: (text: string) => void): Promise<void> {
  const database = await openDatabase(db);
  try {
    const catalog = await ReportCatalog.load();
    const run = instanceReportRunner(database.instance);
    const now = new Date();
    const month = now.toISOString().slice(0, 7);
    const show = async (title: string, name: string, parameters: Record<string, string>) => {
      const { report, values } = prepareReport(catalog, name, parameters, now);
      write(`${title}\n${formatTable(await run(report, values))}\n`);
    };
    await show(`Chargeback for ${month} (unallocated spend shared in proportion to direct spend)`, 'chargeback', { month, rule: 'proportional' });
    await show('Spend by team this month', 'spend-by-team', { since: `${month}-01`, grain: 'month' });
    await show('Cost per action', 'action-costs', { since: `${month}-01` });
    await show('Hosted-tool fees (web search), part of the costs above', 'hosted-tool-fees', { since: `${month}-01` });
    await show('Data quality: unallocated share', 'unallocated-share', { since: `${month}-01` });
    await show('Data quality: unpriced models (cost unknown, not zero)', 'unpriced-models', { since: `${month}-01` });
  } finally {
    await database.close();
  }
  write(
    [
      'Next:',
      `  npx genai-chargeback query --list --db ${db}`,
      `  npx genai-chargeback query spend-by-team-model --db ${db} --format table`,
      `  npx genai-chargeback report chargeback --month ${new Date().toISOString().slice(0, 7)} --db ${db} --out ./finance-pack`,
      '  # or any DuckDB client, e.g. the duckdb CLI:',
      `  duckdb ${db} "SELECT team, request_model, count(*), sum(cost_usd) FROM llm_calls GROUP BY ALL ORDER BY 4 DESC"`,
      '',
    ].join('\n'),
  );
}
