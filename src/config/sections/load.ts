// Config section `load`: the mixed scenario, its stages, the executor, and how the load is spread (workers, segments).
import { z } from 'zod';
import { readStatementSql } from '../read-sql.js';

/** Node's timers hold at most 2^31−1 ms (~24.8 days); a longer delay fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const positive = (max: number, what = 'a positive number') =>
  z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).max(max, { error: `expected ${what} of at most ${max}` });
const positiveInt = (max: number) =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' })
    .max(max, { error: `expected a positive integer of at most ${max}` });
const weight = () => z.number({ error: 'expected a weight >= 0' }).min(0, { error: 'expected a weight >= 0' }).max(1e6, { error: 'expected a weight of at most 1000000' });

/** `500ms`, `20s`, `2m`, or a number of seconds. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
/** The duration in ms, or NaN when it is not one (zod may run the refinement on a value its union refused). */
const durationMs = (v: unknown): number => {
  if (typeof v === 'number') return v * 1000;
  const m = typeof v === 'string' ? DURATION_PATTERN.exec(v) : null;
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : Number.NaN;
};
const duration = z
  .union([positive(MAX_TIMER_MS / 1000, 'a positive number of seconds'), z.string().regex(DURATION_PATTERN, { error: 'expected a duration like "20s", "1m" or "500ms", or a number of seconds' })], {
    error: 'expected a duration like "20s", "1m" or "500ms", or a number of seconds',
  })
  .refine((v) => Number.isNaN(durationMs(v)) || (durationMs(v) > 0 && durationMs(v) <= MAX_TIMER_MS), { error: `expected a duration above 0 and at most ${MAX_TIMER_MS} ms (~24.8 days)` });

export const StageSchema = z
  .strictObject({
    rate: positive(1_000_000, 'a positive rate').optional().describe('Arrival-rate executor: requests started per second in this stage'),
    vus: positiveInt(100_000).optional().describe('Closed-loop executor: virtual users in this stage'),
    duration: duration.describe('How long the stage lasts: "20s", "1m", "500ms" or seconds'),
  })
  .refine((s) => (s.rate === undefined) !== (s.vus === undefined), { error: 'expected exactly one of rate (arrival-rate) or vus (closed-loop)' });

/** `i/n` with 1 ≤ i ≤ n: this process runs the i-th of n equal shares of the load. */
export const SEGMENT_PATTERN = /^(\d+)\/(\d+)$/;
const segment = z.string({ error: 'expected a segment "i/n" with 1 <= i <= n, e.g. "2/4"' }).refine(
  (s) => {
    const m = SEGMENT_PATTERN.exec(s);
    if (!m) return false;
    const i = Number(m[1]);
    const n = Number(m[2]);
    return i >= 1 && n >= 1 && i <= n;
  },
  { error: 'expected a segment "i/n" with 1 <= i <= n, e.g. "2/4"' },
);

const CustomStepSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, { error: 'expected a name of letters, digits, _ . -' }).describe('Request type name (metric tag)'),
  sql: readStatementSql()
    .describe('One read statement (SELECT, WITH … SELECT, VALUES, TABLE), checked before anything runs; sent alone (extended protocol, one round trip) on a session whose every transaction is read-only'),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]).describe('Values for $1, $2, …'),
  weight: weight().default(1).describe('Share of requests of this type, relative to the scenario weights'),
});

/** A plain substring, or a glob with `*` and `?` (never a regular expression: a user pattern must not be able to hang the run). */
const pattern = () => z.string({ error: 'expected a substring or a glob with * and ?' }).min(1, { error: 'expected a non-empty pattern' }).max(1000, { error: 'expected a pattern of at most 1000 characters' });

const ReplayValuesSchema = z.strictObject({
  statement: pattern().describe('Which statements this applies to: a substring or glob of the pg_stat_statements text'),
  param: positiveInt(65_535).describe('The $n this query fills'),
  sql: readStatementSql()
    .describe('One read statement whose first column gives the values (at most 10000 rows are kept, each drawn equally often); run read-only'),
});

export const ReplaySchema = z
  .strictObject({
    top: positiveInt(1000).default(20).describe('Replay the N statements with the most calls'),
    min_call_share: z
      .number({ error: 'expected a share between 0 and 1' })
      .min(0, { error: 'expected a share between 0 and 1' })
      .max(1, { error: 'expected a share between 0 and 1' })
      .optional()
      .describe('Replay only statements with at least this share of all calls (applied with top)'),
    include: z.array(pattern()).default([]).describe('Replay only statements whose text contains one of these substrings or matches one of these globs (* and ?), case-insensitive'),
    exclude: z.array(pattern()).default([]).describe('Leave out statements whose text contains one of these substrings or matches one of these globs'),
    writes: z.boolean().default(false).describe('Replay INSERT/UPDATE/DELETE too (each in a transaction that is rolled back); needs disposable_database, refused under --read-only'),
    disposable_database: z.boolean().default(false).describe('You declare the target database a scratch copy whose data may be changed (a restore of your data): required for writes'),
    values: z.array(ReplayValuesSchema).default([]).describe('Your own queries that return the values of a parameter, instead of sampling the column statistics'),
    degradation_factor: z.number({ error: 'expected a factor above 1' }).gt(1, { error: 'expected a factor above 1' }).max(1000, { error: 'expected a factor of at most 1000' }).default(2)
      .describe('A statement has degraded at a stage when its median time is this many times its first-stage median (and degradation_min_ms higher)'),
    degradation_min_ms: z.number({ error: 'expected a number of ms >= 0' }).min(0, { error: 'expected a number of ms >= 0' }).max(MAX_TIMER_MS, { error: `expected at most ${MAX_TIMER_MS} ms` }).default(5)
      .describe('…and at least this many ms higher, so a 0.1 ms statement that takes 0.3 ms is not called degraded'),
  })
  .superRefine((r, ctx) => {
    if (r.writes && !r.disposable_database) {
      ctx.addIssue({ code: 'custom', path: ['writes'], message: 'writes are replayed only against a database you declare disposable: set load.replay.disposable_database to true (a scratch restore of your data), or leave writes off' });
    }
  });

/** Cross-section rule: --read-only writes nothing, so a write replay is refused (exit 2) before any server is touched. */
export function replayReadOnlyConflict(config: { read_only: boolean; load: { replay?: { writes: boolean } | undefined } }): string | null {
  return config.read_only && config.load.replay?.writes
    ? 'config.load.replay.writes: --read-only (config read_only) writes nothing, so write replay is refused; leave load.replay.writes off or run without --read-only against a disposable database'
    : null;
}

export const LoadSection = z
  .strictObject({
    executor: z
      .enum(['arrival-rate', 'closed-loop'], { error: 'expected "arrival-rate" or "closed-loop"' })
      .default('arrival-rate')
      .describe('arrival-rate: open loop, fixed request rate per stage (latency from the intended start); closed-loop: a fixed number of virtual users per stage'),
    stages: z
      .array(StageSchema, { error: 'expected a list of stages like [{ "rate": 50, "duration": "20s" }]' })
      .min(1, { error: 'expected at least one stage' })
      .optional()
      .describe('The stages, lowest load first; default per mode (quick: 3 short stages, full: 4, load-test: 6, a few minutes)'),
    weights: z
      .strictObject({
        financial_read: weight().default(50).describe('Financial reads: balances, spending, budgets, portfolio (PostgreSQL)'),
        write: weight().default(15).describe('Writes: insert a transaction, invalidate its cache key'),
        cache_read: weight().default(25).describe('Cache-aside reads: Redis GET, on a miss PostgreSQL then SET'),
        task: weight().default(10).describe('Background task submissions (Celery)'),
      })
      .prefault({})
      .describe('Relative weights of the request types'),
    custom: z.array(CustomStepSchema).default([]).describe('Your own read-only SQL as extra request types with weights'),
    replay: ReplaySchema.optional().describe('load.replay: replay your application\'s statement mix from pg_stat_statements through the stages (the check load.replay is skipped without it)'),
    max_vus: positiveInt(100_000).default(200).describe('Arrival-rate: at most this many requests in flight (per process)'),
    pool_size: positiveInt(10_000).default(20).describe('PostgreSQL connections of the load pool (split across workers)'),
    think_time_ms: z.number({ error: 'expected a number of ms >= 0' }).min(0, { error: 'expected a number of ms >= 0' }).max(MAX_TIMER_MS, { error: `expected at most ${MAX_TIMER_MS} ms` }).default(0).describe('Closed-loop: pause between one virtual user\'s requests'),
    request_timeout_ms: positiveInt(MAX_TIMER_MS).default(10000).describe('A request slower than this is recorded as a timeout error'),
    p95_limit_ms: positive(MAX_TIMER_MS).optional().describe('Saturation: a stage whose request p95 exceeds this is past saturation; default thresholds.complex_query_time_ms'),
    workers: positiveInt(256).default(1).describe('Worker threads generating the load (histograms merged exactly); --workers'),
    segment: segment.default('1/1').describe('Run the i-th of n equal shares of the load (several machines); --segment, then `stackprobe merge`'),
    run_id: z
      .string({ error: 'expected a run id (letters, digits, _ . : -, at most 100)' })
      .regex(/^[\w.:-]{1,100}$/, { error: 'expected a run id (letters, digits, _ . : -, at most 100)' })
      .optional()
      .describe('Segments with the same run id share one workload schema and start their stages together; --run-id. Default with --segment i/n (n > 1): derived from the mode, workload and load settings'),
    start_timeout_ms: positiveInt(MAX_TIMER_MS).default(60_000).describe('Segments: how long each waits at the start barrier for all n segments before failing, naming the missing ones'),
    task_name: z
      .string({ error: 'expected a Celery task name' })
      .regex(/^[\w.:-]+$/, { error: 'expected a Celery task name (letters, digits, _ . : -)' })
      .default('celery.accumulate')
      .describe('Celery task submitted by task requests; the default is built into every Celery worker'),
    task_queue: z
      .string({ error: 'expected a queue name' })
      .regex(/^[\w.:-]+$/, { error: 'expected a queue name (letters, digits, _ . : -)' })
      .optional()
      .describe('Celery queue the task requests go to; default tasks.queue'),
    current_rate: positive(1_000_000, 'a positive rate').optional()
      .describe('Your application\'s real request rate now (req/s, in the units of the stages): the headroom is the rate at which a limit is crossed over this'),
    generator_max_delay_ms: positive(60_000).default(50).describe('Event-loop delay p99 above which stackprobe itself counts as the bottleneck'),
    min_completion_ratio: z
      .number({ error: 'expected a share between 0 and 1' })
      .min(0, { error: 'expected a share between 0 and 1' })
      .max(1, { error: 'expected a share between 0 and 1' })
      .default(0.9)
      .describe('Saturation: a stage where fewer than this share of the offered requests completed (the rest dropped or timed out) no longer follows its load'),
  })
  .superRefine((load, ctx) => {
    const key = load.executor === 'arrival-rate' ? 'rate' : 'vus';
    load.stages?.forEach((stage, i) => {
      if (stage[key] === undefined) ctx.addIssue({ code: 'custom', path: ['stages', i, key], message: `expected ${key} in every stage of the ${load.executor} executor` });
    });
  })
  .prefault({})
  .describe('Options of the load category');

export type LoadConfig = z.output<typeof LoadSection>;
export type StageConfig = z.output<typeof StageSchema>;
export type ReplayConfig = z.output<typeof ReplaySchema>;
