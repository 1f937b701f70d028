// Config section `pool`: options of the pool category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

const positiveInt = (what: string) =>
  z.number({ error: `expected a positive integer (${what})` }).int({ error: `expected a positive integer (${what})` }).positive({ error: `expected a positive integer (${what})` });
const positive = (what: string) => z.number({ error: `expected a positive number (${what})` }).positive({ error: `expected a positive number (${what})` });
const share = (what: string) =>
  z.number({ error: `expected a share between 0 and 1 (${what})` }).min(0, { error: `expected a share between 0 and 1 (${what})` }).max(1, { error: `expected a share between 0 and 1 (${what})` });

function isPostgresUrl(s: string): boolean {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(s).protocol);
  } catch {
    // Not parsable as a URL at all: the refinement below reports it as the field's error.
    return false;
  }
}

const SweepSection = z
  .strictObject({
    max_size: positiveInt('the largest pool size to try').default(32).describe('Largest pool size the sweep tries; also bounded by half the free max_connections and, in quick mode, by 8 per server core (or the configured size when larger)'),
    step_duration_s: positive('seconds per pool size').optional().describe('Seconds measured per pool size; default 0.5 in quick mode, 1.5 in full'),
    concurrency: positiveInt('concurrent requests').optional().describe('Concurrent requests competing for the pool during the sweep; default twice the largest size tried (at most 64)'),
    tolerance: share('how close to the best throughput counts as good enough').default(0.05).describe('A size counts as better only when it beats another by more than this share of throughput and by more than the noise between rounds'),
    warn_below: share('share of the best throughput').default(0.8).describe('Warn when the configured pool.size is measurably (beyond the noise between rounds) below this share of the best throughput'),
    rounds: positiveInt('rounds over all sizes').optional().describe('Times every size is measured, in alternating order, to estimate the noise; default 3 in quick mode, 5 in full, ending after 2 once no size can become measurably better than pool.size (a number set here always runs in full)'),
    server_cores: positiveInt('CPU cores of the database server').optional().describe('The database server\'s CPU cores; sizes above 2 per core are recommended only when measurably better. Default: this host\'s cores when the server is local, else unknown'),
  })
  .prefault({});

export const PoolSection = z
  .strictObject({
    size: positiveInt('the pool size').default(10).describe('The pool size your application runs; contention runs against it and the sweep compares it with the best size'),
    acquire_samples: positiveInt('new connections to open').optional().describe('New connections pool.acquire opens one after another; default 30 in quick mode, 200 in full (warm acquires: 10 times as many)'),
    acquire_timeout_ms: positiveInt('milliseconds').default(2000).describe('A pool acquire waiting longer than this counts as a timeout (pool.contention, pool.sizing)'),
    contention_factor: z
      .number({ error: 'expected a number of at least 1 (concurrent requests per pooled connection)' })
      .min(1, { error: 'expected a number of at least 1 (concurrent requests per pooled connection)' })
      .default(4)
      .describe('pool.contention runs this many concurrent requests per pooled connection'),
    hold_ms: z.number({ error: 'expected a number of milliseconds, 0 or more' }).min(0, { error: 'expected a number of milliseconds, 0 or more' }).default(5).describe('How long each request in pool.contention holds its connection (a server-side pg_sleep)'),
    duration_s: positive('seconds').optional().describe('Seconds pool.contention runs; default 2 in quick mode, 10 in full'),
    sweep: SweepSection.describe('The pool-size sweep of pool.sizing'),
    idle_in_transaction_s: positive('seconds').default(60).describe('pool.server reports sessions idle in a transaction for longer than this'),
    long_idle_s: positive('seconds').default(600).describe('pool.server reports connections idle for longer than this'),
    min_headroom: share('free share of max_connections').default(0.2).describe('pool.server warns when fewer than this share of usable connection slots are free'),
    pgbouncer_admin_url: z
      .string({ error: 'expected a PostgreSQL URL of the PgBouncer admin console (postgres://user@host:6432/pgbouncer)' })
      .refine(isPostgresUrl, { error: 'expected a PostgreSQL URL of the PgBouncer admin console (postgres://user@host:6432/pgbouncer)' })
      .optional()
      .describe('PgBouncer admin console; default: the database URL\'s host and port with database "pgbouncer", when that is PgBouncer'),
    pgbouncer_max_wait_ms: positiveInt('milliseconds').default(1000).describe('pool.pgbouncer fails when a client has waited longer than this for a server connection'),
  })
  .prefault({})
  .describe('Options of the pool category');

export type PoolConfig = z.output<typeof PoolSection>;
