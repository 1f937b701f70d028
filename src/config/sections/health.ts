// Config section `health`: what the health checks read of the user's own database and the levels that warn or fail.
import { z } from 'zod';

const positiveInt = (what: string) =>
  z.number({ error: `expected a positive integer (${what})` }).int({ error: `expected a positive integer (${what})` }).positive({ error: `expected a positive integer (${what})` });
const positive = (what: string) => z.number({ error: `expected a positive number (${what})` }).positive({ error: `expected a positive number (${what})` });
const share = (what: string) =>
  z.number({ error: `expected a share between 0 and 1 (${what})` }).gt(0, { error: `expected a share between 0 and 1 (${what})` }).max(1, { error: `expected a share between 0 and 1 (${what})` });

const StatementsSection = z
  .strictObject({
    top: positiveInt('statements per list').default(10).describe('Statements shown per list (by total time, by mean time, by calls)'),
    explain_slowest: z.number().int().min(0).default(3).describe('Plans taken (never executed) for this many of the statements with the highest mean time'),
    min_calls: positiveInt('calls').default(5).describe('Statements called fewer times are left out of the mean-time list and of the verdict'),
    mean_warn_ms: positive('milliseconds').default(100).describe('Warn when a statement\'s mean execution time is above this (ms)'),
    mean_fail_ms: positive('milliseconds').default(1000).describe('Fail when a statement\'s mean execution time is above this (ms)'),
    big_table_rows: positiveInt('rows').default(10_000).describe('A sequential scan of a table with at least this many rows (pg_class.reltuples) is worth an index'),
    selective_share: share('share of the rows kept').default(0.1).describe('A filter the planner expects to keep at most this share of the rows is selective enough for an index'),
  })
  .prefault({});

const IndexesSection = z
  .strictObject({
    unused_min_bytes: z.number().int().min(0).default(0).describe('Unused indexes smaller than this are not reported'),
    fk_min_rows: z.number().int().min(0).default(1000).describe('A foreign key without an index is reported when the referencing table has at least this many rows'),
  })
  .prefault({});

const ActivitySection = z
  .strictObject({
    long_query_warn_s: positive('seconds').default(60).describe('Warn when a statement has been running longer than this'),
    long_query_fail_s: positive('seconds').default(600).describe('Fail when a statement has been running longer than this'),
    long_transaction_warn_s: positive('seconds').default(300).describe('Warn when a transaction has been open longer than this'),
    idle_in_transaction_warn_s: positive('seconds').default(30).describe('Warn when a session has been idle in transaction longer than this'),
    blocked_warn_s: positive('seconds').default(5).describe('Warn when a session has waited for a lock longer than this; blocked sessions over long_query_fail_s fail'),
    xmin_age_warn_xids: positiveInt('transactions').default(10_000_000).describe('Warn when the oldest xmin holder (session, prepared transaction or slot) is this many transactions behind'),
  })
  .prefault({});

const VacuumSection = z
  .strictObject({
    dead_share_warn: share('dead tuples over all tuples').default(0.2).describe('Warn when a table\'s dead tuples are this share of its tuples (and over dead_min_rows)'),
    dead_min_rows: positiveInt('dead tuples').default(1000).describe('Tables with fewer dead tuples are never reported'),
    wraparound_warn_share: share('share of the 2^31 transaction-ID limit').default(0.5).describe('Warn when a database or table has used this share of the transaction-ID space before forced shutdown'),
    wraparound_fail_share: share('share of the 2^31 transaction-ID limit').default(0.8).describe('Fail when a database or table has used this share of the transaction-ID space'),
    top: positiveInt('tables').default(20).describe('Tables listed per figure'),
    bloat_warn_share: share('estimated bloat over the table\'s pages').default(0.5).describe('Warn when a table\'s estimated bloat is this share of its pages (and over bloat_min_bytes)'),
    bloat_min_bytes: z.number().int().min(0).default(50 * 1024 ** 2).describe('Tables with less estimated bloat than this (bytes) are never reported'),
  })
  .prefault({});

const ReplicationSection = z
  .strictObject({
    lag_warn_s: positive('seconds').default(30).describe('Warn when a replica replays this many seconds behind'),
    lag_fail_s: positive('seconds').default(300).describe('Fail when a replica replays this many seconds behind'),
    slot_retained_warn_bytes: positiveInt('bytes').default(1024 ** 3).describe('Warn when a replication slot keeps this much WAL on the primary'),
  })
  .prefault({});

const ServerSection = z
  .strictObject({
    hit_ratio_warn: share('buffer cache hits over all block reads').default(0.95).describe('Warn when the database\'s shared-buffer hit ratio is below this (PgHero\'s rule of thumb is 0.99)'),
    min_blocks: positiveInt('blocks').default(10_000).describe('The hit ratio is judged only after this many block reads and hits since the statistics reset'),
    checkpoints_requested_warn: share('requested checkpoints over all').default(0.5).describe('Warn when more than this share of checkpoints were requested (WAL filled max_wal_size) rather than timed'),
  })
  .prefault({});

export const HealthSection = z
  .strictObject({
    schemas: z.array(z.string().min(1)).optional().describe('Schemas the per-table checks read; default every non-system schema except stackprobe\'s own'),
    statement_timeout_ms: positiveInt('milliseconds').default(10_000).describe('Server-side bound on every catalog query and EXPLAIN the health checks send'),
    statements: StatementsSection.describe('health.statements (pg_stat_statements)'),
    indexes: IndexesSection.describe('health.indexes'),
    activity: ActivitySection.describe('health.activity (pg_stat_activity, pg_locks)'),
    vacuum: VacuumSection.describe('health.vacuum (pg_stat_user_tables, wraparound)'),
    replication: ReplicationSection.describe('health.replication (pg_stat_replication, slots, archiver)'),
    server: ServerSection.describe('health.server (cache hit ratio, temp files, checkpoints)'),
  })
  .prefault({})
  .describe('Options of the health category: the user\'s own database as it runs');

export type HealthConfig = z.output<typeof HealthSection>;
