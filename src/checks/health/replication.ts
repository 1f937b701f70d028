// health.replication: replicas and their write/flush/replay lag (or, on a replica, its own replay delay), replication
// slots — inactive ones and the WAL they keep — and WAL archiving failures.
import type { Check, CheckContext } from '../types.js';
import { ARCHIVER_SQL, REPLICAS_SQL, ROLE_SQL, SLOTS_SQL, STANDBY_SQL } from './replication-sql.js';
import { healthSession } from './session.js';
import { bytes, seconds } from './words.js';
import { ARCHIVE_FAILING, INACTIVE_SLOTS, REPLICAS, REPLICATION_LAG_BYTES, REPLICATION_LAG_S, SLOT_RETAINED_BYTES } from './metrics.js';

interface Role { replica: boolean; archive_mode: string }
interface Replica { name: string; client: string; state: string; sync_state: string; write_lag_s: number | null; flush_lag_s: number | null; replay_lag_s: number | null; replay_lag_bytes: number | null }
interface Standby { replay_lag_bytes: number | null; last_replay_age_s: number | null; receiver: string | null }
interface Slot { name: string; type: string; database: string; active: boolean; wal_status: string | null; retained_bytes: number | null }
interface Archiver { archived: number; failed: number; last_archived_wal: string | null; last_failed_wal: string | null; last_archived_time: string | null; last_failed_time: string | null; failing: boolean }

export const replicationCheck: Check = {
  id: 'health.replication',
  category: 'health',
  title: 'Replication: replica lag, replication slots and the WAL they keep, archiving failures',
  needs: ['pg'],
  metrics: [ARCHIVE_FAILING, INACTIVE_SLOTS, REPLICAS, REPLICATION_LAG_BYTES, REPLICATION_LAG_S, SLOT_RETAINED_BYTES],
  writes: false,
  thresholds: (config) => {
    const r = config.health.replication;
    return {
      replication_lag_s: [{ fail: `value<${r.lag_fail_s}`, warn: `value<${r.lag_warn_s}` }],
      inactive_slots: [{ warn: 'count==0' }],
      slot_retained_bytes: [{ warn: `value<${r.slot_retained_warn_bytes}` }],
      archive_failing: ['count==0'],
    };
  },
  async run(ctx) {
    const m = ctx.metrics;
    m.headline('replication_lag_s');
    const db = await healthSession(ctx, 'stackprobe-health');
    const role = (await db.query<Role>(ROLE_SQL))[0]!;
    ctx.info('role', role.replica ? 'replica' : 'primary');
    if (role.replica) standby(ctx, (await db.query<Standby>(STANDBY_SQL))[0]!);
    else replicas(ctx, await db.query<Replica>(REPLICAS_SQL));
    slots(ctx, await db.query<Slot>(SLOTS_SQL));
    archiver(ctx, role, (await db.query<Archiver>(ARCHIVER_SQL))[0]!);
  },
};

function replicas(ctx: CheckContext, rows: Replica[]): void {
  const cfg = ctx.config.health.replication;
  const lag = Math.max(0, ...rows.map((r) => r.replay_lag_s ?? 0));
  ctx.metrics.gauge(REPLICATION_LAG_S).set(lag);
  ctx.metrics.gauge(REPLICATION_LAG_BYTES).set(Math.max(0, ...rows.map((r) => r.replay_lag_bytes ?? 0)));
  ctx.metrics.gauge(REPLICAS).set(rows.length);
  ctx.info('replicas', rows);
  for (const r of rows) {
    const replay = r.replay_lag_s ?? 0;
    const late = replay > cfg.lag_warn_s || r.state !== 'streaming';
    ctx.finding({
      severity: replay > cfg.lag_fail_s ? 'error' : late ? 'warn' : 'info',
      subject: `replica ${r.name}`,
      title: `replica ${r.name} (${r.client}, ${r.state}, ${r.sync_state}): replay ${seconds(replay)} and ${bytes(r.replay_lag_bytes ?? 0)} behind (write ${seconds(r.write_lag_s ?? 0)}, flush ${seconds(r.flush_lag_s ?? 0)})`,
      ...(late ? { recommendation: 'A replica that lags serves stale reads and slows failover: look at its I/O and CPU, long queries on it that conflict with replay (max_standby_streaming_delay), and the network between the two.' } : {}),
      data: { ...r },
    });
  }
}

function standby(ctx: CheckContext, s: Standby): void {
  // No transaction replayed recently is also what an idle primary looks like: the byte distance tells them apart.
  const lag = (s.replay_lag_bytes ?? 0) > 0 ? (s.last_replay_age_s ?? 0) : 0;
  ctx.metrics.gauge(REPLICATION_LAG_S).set(lag);
  ctx.metrics.gauge(REPLICATION_LAG_BYTES).set(s.replay_lag_bytes ?? 0);
  ctx.metrics.gauge(REPLICAS).set(0);
  ctx.info('standby', s);
  ctx.finding({
    severity: s.receiver === 'streaming' ? 'info' : 'warn',
    subject: 'this replica',
    title: `this server is a replica (WAL receiver ${s.receiver ?? 'not running'}): ${bytes(s.replay_lag_bytes ?? 0)} received but not replayed, last replayed transaction ${s.last_replay_age_s === null ? 'none yet' : `${seconds(s.last_replay_age_s)} ago`}`,
    ...(s.receiver === 'streaming' ? {} : { recommendation: 'The replica is not streaming from its primary: check primary_conninfo, the primary\'s pg_hba.conf and its log.' }),
    data: { ...s },
  });
}

function slots(ctx: CheckContext, rows: Slot[]): void {
  const inactive = rows.filter((s) => !s.active);
  ctx.metrics.counter(INACTIVE_SLOTS).add(inactive.length);
  ctx.metrics.gauge(SLOT_RETAINED_BYTES).set(Math.max(0, ...rows.map((s) => s.retained_bytes ?? 0)));
  ctx.info('slots', rows);
  for (const s of rows) {
    const over = (s.retained_bytes ?? 0) > ctx.config.health.replication.slot_retained_warn_bytes;
    if (s.active && !over) continue;
    ctx.finding({
      severity: 'warn',
      subject: `slot ${s.name}`,
      title: `${s.active ? 'replication' : 'inactive replication'} slot ${s.name} (${s.type}${s.database ? `, database ${s.database}` : ''}) keeps ${bytes(s.retained_bytes ?? 0)} of WAL${s.wal_status ? ` (wal_status ${s.wal_status})` : ''}`,
      detail: 'A slot keeps every WAL segment its consumer has not confirmed, and its xmin holds back vacuum: an abandoned one fills the disk.',
      recommendation: s.active
        ? `Its consumer is connected but behind: see why it cannot keep up; max_slot_wal_keep_size caps what a slot may keep.`
        : `If its consumer is gone for good: SELECT pg_drop_replication_slot('${s.name.replaceAll("'", "''")}'); otherwise bring the consumer back. Set max_slot_wal_keep_size so one slot cannot fill the disk.`,
      data: { ...s },
    });
  }
}

function archiver(ctx: CheckContext, role: Role, a: Archiver): void {
  const on = role.archive_mode !== 'off';
  ctx.metrics.counter(ARCHIVE_FAILING).add(on && a.failing ? 1 : 0);
  ctx.info('archiver', { archive_mode: role.archive_mode, ...a });
  if (on && a.failing) {
    ctx.finding({
      severity: 'error',
      subject: 'archive_command',
      title: `WAL archiving is failing: ${a.last_failed_wal ?? '?'} failed at ${a.last_failed_time ?? '?'}; last success ${a.last_archived_wal ?? 'never'} at ${a.last_archived_time ?? 'never'} (${a.failed} failures since the statistics reset)`,
      detail: 'Unarchived WAL piles up in pg_wal, and point-in-time recovery past the last archived segment is impossible.',
      recommendation: 'Read the server log for archive_command\'s error and fix the archive destination (space, permissions, credentials).',
      data: { ...a },
    });
  }
}
