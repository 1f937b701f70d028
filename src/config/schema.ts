// The one source of truth for configuration: this zod schema gives the types, the defaults, the JSON Schema and the docs table.
import { z } from 'zod';
import { readStatementSql } from './read-sql.js';
import { BackupSection } from './sections/backup.js';
import { CacheSection } from './sections/cache.js';
import { EmbeddedSection } from './sections/embedded.js';
import { HealthSection } from './sections/health.js';
import { IntegritySection } from './sections/integrity.js';
import { LoadSection } from './sections/load.js';
import { PoolSection } from './sections/pool.js';
import { ReportSection } from './sections/report.js';
import { TasksSection } from './sections/tasks.js';
import { shareSchema } from './share.js';

const positive = () => z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' });
const positiveInt = () => z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
/** Node's timers (setTimeout) hold at most this many ms; a larger value is clamped to 1 ms, so every wait would end at once. */
export const TIMER_MAX_MS = 2 ** 31 - 1;
/**
 * The largest workload scale: the plan kept in memory grows linearly (measured: 15 MB at 100, 130 MB and 1 M accounts
 * at 1000, so ~1.3 GB at 10 000 and heap exhaustion at the 1e6 of issue 13), and 1000 already means 100 M transactions.
 */
export const MAX_SCALE = 1000;
/** Virtual users (each its own connection) per query; more exhausts a server's connections long before it measures anything. */
export const MAX_QUERY_CONCURRENCY = 1000;

const ms = (what = 'a positive number') =>
  z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).max(TIMER_MAX_MS, { error: `expected at most ${TIMER_MAX_MS} ms (about 24.8 days, the longest timer Node.js keeps)` });
const msInt = () =>
  z.number({ error: 'expected a positive integer (ms)' }).int({ error: 'expected a positive integer (ms)' }).positive({ error: 'expected a positive integer (ms)' })
    .max(TIMER_MAX_MS, { error: `expected at most ${TIMER_MAX_MS} ms (about 24.8 days, the longest timer Node.js keeps)` });
const bounded = (max: number, what: string) => positive().max(max, { error: `expected at most ${max} (${what})` });
const boundedInt = (max: number, what: string) => positiveInt().max(max, { error: `expected at most ${max} (${what})` });

function urlOf(schemes: string[], what: string) {
  return z.string({ error: `expected ${what}` }).refine(
    (s) => {
      try {
        return schemes.includes(new URL(s).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `expected ${what} (${schemes.map((s) => `${s}://`).join(', ')})` },
  );
}

export const CATEGORIES = ['pool', 'queries', 'integrity', 'backup', 'cache', 'tasks', 'load', 'health'] as const;

const thresholdSpec = z.union([
  z.string(),
  z.strictObject({
    fail: z.string().optional().describe('Fails the check when not met'),
    warn: z.string().optional().describe('Warns when not met (and the fail level is met)'),
  }),
]);

export const ThresholdsSchema = z
  .strictObject({
    connection_time_ms: ms().default(50).describe('Connection acquire: average must stay below this (ms)'),
    connection_success_rate: shareSchema().default(0.95).describe('Connection attempts: share that must succeed (0.95 or "95%")'),
    query_time_ms: ms().default(100).describe('Basic queries: p95 must stay below this (ms); the reference tool\'s name'),
    complex_query_time_ms: ms().default(500).describe('Financial (complex) queries: p95 must stay below this (ms)'),
    query_error_rate: shareSchema().default(0.01).describe('Queries: error share must stay below this (0.01 or "1%")'),
    integrity_score: shareSchema().default(0.95).describe('Integrity score must stay above this (0.95 or "95%")'),
    cache_hit_rate: shareSchema().default(0.8).describe('Cache hit rate must stay above this (0.8 or "80%")'),
    cache_latency_ms: ms().default(10).describe('Cache operations: p95 must stay below this (ms)'),
    task_success_rate: shareSchema().default(0.9).describe('Background tasks: share that must succeed (0.9 or "90%")'),
    load_success_rate: shareSchema().default(0.95).describe('Requests under load: share that must succeed (0.95 or "95%")'),
    memory_usage_mb: bounded(1_048_576, 'MB, 1 TB').default(1024).describe('stackprobe\'s own peak memory (RSS, MB): a warning above this'),
  })
  .prefault({});

const triple = (dflt: [number, number, number], what: string, max: number) => {
  const edge = z.number({ error: `expected three numbers: ${what}` }).min(0, { error: 'expected a number from 0' }).max(max, { error: `expected at most ${max}` });
  return z.tuple([edge, edge, edge], { error: `expected three numbers: ${what}` }).default(dflt).describe(what);
};

export const BandsSchema = z
  .strictObject({
    response_time_ms: triple([50, 100, 200], 'excellent, good, acceptable upper edges in ms', TIMER_MAX_MS),
    throughput_rps: triple([1000, 500, 100], 'excellent, good, acceptable lower edges in requests/s', 1e9),
    hit_rate: triple([0.9, 0.8, 0.7], 'excellent, good, acceptable lower edges as shares', 1),
  })
  .prefault({});

export const CustomQuerySchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, { error: 'expected a name of letters, digits, _ . -' }).describe('Shown in reports and used as the metric tag'),
  sql: readStatementSql().describe('One SELECT, WITH … SELECT, VALUES or TABLE statement; run alone (extended protocol, one round trip) on a session whose every transaction is read-only'),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]).describe('Values for $1, $2, …'),
  complex: z.boolean().default(false).describe('Judge against complex_query_time_ms instead of query_time_ms'),
});

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  database_url: urlOf(['postgres', 'postgresql'], 'a PostgreSQL URL').optional().describe('Env DATABASE_URL. Without it a private embedded PostgreSQL is started'),
  embedded: EmbeddedSection,
  redis_url: urlOf(['redis', 'rediss'], 'a Redis URL').optional().describe('Env REDIS_URL'),
  celery_broker_url: urlOf(['redis', 'rediss', 'amqp', 'amqps'], 'a Celery broker URL').optional().describe('Env CELERY_BROKER_URL'),
  celery_result_backend: urlOf(['redis', 'rediss', 'rpc'], 'a Celery result backend URL').optional().describe('Env CELERY_RESULT_BACKEND'),
  mode: z.enum(['quick', 'full', 'load-test']).default('quick').describe('How long and how large the run is'),
  output: z.string().default('results').describe('Directory where runs are kept: each run writes run.json, the reports and stackprobe.log into its own <time>-<id>/ directory there; latest names the newest'),
  only: z.array(z.string()).min(1, { error: 'expected at least one category or check id (leave "only" out to run every check)' }).optional().describe('Run only these categories or check ids'),
  skip: z.array(z.string()).default([]).describe('Skip these categories or check ids'),
  read_only: z.boolean().default(false).describe('Write nothing anywhere: only checks that read'),
  allow_privileged_role: z.boolean().default(false).describe('Under read_only, run your SQL even when the role could write or act outside the transaction (superuser, write privileges, dblink…); by default such a role is refused with the SQL for one that cannot. Loud: printed at the start and recorded with each check that used it'),
  keep_data: z.boolean().default(false).describe('Keep the stackprobe schema after the run'),
  formats: z.array(z.enum(['json', 'md', 'html', 'junit', 'prom'])).default(['json', 'md', 'html']).describe('Report files written into output: run.json, report.md, report.html, junit.xml, stackprobe.prom'),
  thresholds: ThresholdsSchema,
  bands: BandsSchema,
  workload: z
    .strictObject({
      seed: z.number().int({ error: 'expected an integer seed' }).min(0, { error: 'expected an integer seed from 0 to 4294967295' }).max(2 ** 32 - 1, { error: 'expected an integer seed from 0 to 4294967295' }).default(42).describe('Seed of the deterministic data generator'),
      scale: bounded(MAX_SCALE, 'the workload plan is kept in memory; 1000 = 100 M transactions').optional().describe('Data scale factor; default 1 in quick mode, 10 in full (1 = 500 users, ~100k transactions)'),
    })
    .prefault({}),
  queries: z
    .strictObject({
      concurrency: boundedInt(MAX_QUERY_CONCURRENCY, 'one connection each').default(4).describe('Virtual users per query'),
      duration_s: bounded(86_400, 'a day').optional().describe('Seconds per query; default 1.5 in quick mode (ending from 0.5 s on once the query has 2,000 samples, enough for its p95), 10 in full (ending from 2 s on once it has 10,000, enough for its p99); a number set here always runs in full'),
      explain_slowest: z.number().int({ error: 'expected an integer from 0 to 100' }).min(0, { error: 'expected an integer from 0 to 100' }).max(100, { error: 'expected an integer from 0 to 100' }).default(3).describe('EXPLAIN (ANALYZE, BUFFERS) this many of the slowest queries'),
      custom: z.array(CustomQuerySchema).default([]).describe('Your own statements, run read-only'),
    })
    .prefault({}),
  pool: PoolSection,
  integrity: IntegritySection,
  backup: BackupSection,
  cache: CacheSection,
  tasks: TasksSection,
  load: LoadSection,
  health: HealthSection,
  report: ReportSection,
  checks: z
    .record(
      z.string(),
      z.strictObject({
        enabled: z.boolean().optional(),
        thresholds: z.record(z.string(), z.array(thresholdSpec)).optional().describe('metric selector -> threshold expressions; replaces the defaults for that metric'),
      }),
    )
    .default({})
    .describe('Per check id: enable/disable and thresholds'),
  plugins: z.array(z.string()).default([]).describe('Module paths or package names exporting checks'),
  timeouts: z
    .strictObject({
      connect_ms: msInt().default(5000).describe('Connecting to a service'),
      operation_ms: msInt().default(30000).describe('One query or command'),
      check_ms: msInt().default(300000).describe('One whole check'),
    })
    .prefault({}),
  fail_when_saturated: z.boolean().default(false).describe('Count a latency or throughput threshold missed while stackprobe\'s own client was saturated (its CPU pegged, its event loop late) as a failure, exit 1 (by default such a miss is untrusted: its own check status and exit code 3, never a pass); a busy host alone never changes a verdict'),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Level of stackprobe.log'),
});

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type ThresholdSpec = z.output<typeof thresholdSpec>;
export type CustomQuery = z.output<typeof CustomQuerySchema>;

/** Keys the loader ignores (src/config/load.ts): `$comment` and anything starting with `//`. */
export const COMMENT_KEY = '^(\\$comment$|//)';

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, {
    io: 'input',
    unrepresentable: 'any',
    // zod leaves out the default of a field whose input is transformed (shares: 0.8 or "80%"); the docs still show it.
    override: (ctx) => {
      const def = ctx.zodSchema._zod.def;
      if (def.type === 'default' && ctx.jsonSchema.default === undefined) ctx.jsonSchema.default = JSON.parse(JSON.stringify(def.defaultValue)) as unknown;
      // The loader drops `$comment` and `//…` keys before validation; the JSON Schema says so, so an editor (and ajv)
      // accept a commented config such as example_config.json.
      if (ctx.jsonSchema.type === 'object') ctx.jsonSchema.patternProperties = { [COMMENT_KEY]: {} };
    },
  }) as Record<string, unknown>;
}
