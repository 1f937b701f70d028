// The catalog-reading checks against a private embedded PostgreSQL of each major (13, 14, 16, 17 by default; the whole
// suite covers 15; STACKPROBE_MAJORS=13,14,15,16,17,18 via `npm run test:majors`): every planted condition is found on
// every major, or the check skips saying what that major lacks. The servers are independent: started, planted and
// checked side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupChecks } from '../../src/checks/backup/index.js';
import { healthChecks } from '../../src/checks/health/index.js';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import { poolChecks } from '../../src/checks/pool/index.js';
import { customQueriesCheck } from '../../src/checks/queries/custom.js';
import type { Check } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { fixtureIntegrityConfig } from '../helpers/integrity-fixture.js';
import { CLEAN_DB, createCleanDb, DB, plant, startMajor, type MajorServer } from '../helpers/majors.js';

const MAJORS = (process.env.STACKPROBE_MAJORS ?? '13,14,16,17').split(',').map(Number);
const ids = ['pool.server', 'backup.archiving', 'backup.roundtrip'];
// health first: its statements list is then the application's traffic, not the other checks' catalog reads.
const CHECKS: Check[] = [
  ...healthChecks,
  ...poolChecks.filter((c) => ids.includes(c.id)),
  ...integrityChecks,
  ...backupChecks.filter((c) => ids.includes(c.id)),
  customQueriesCheck,
];
/** The application's lookup by reference (no index in the planted database) and, in the clean one, a lookup by key. */
const ORDERS_BY_REF = { name: 'orders_by_ref', sql: 'SELECT id, amount FROM shop.orders WHERE customer_ref = $1', params: ['ref-7'] };
const USER_BY_ID = { name: 'user_by_id', sql: 'SELECT id, email FROM app.users WHERE id = $1', params: [7] };
const queries = (q: typeof ORDERS_BY_REF | typeof USER_BY_ID) => ({ queries: { concurrency: 1, duration_s: 0.3, custom: [q] } });
const CONFIG = {
  pool: { idle_in_transaction_s: 0.5 },
  integrity: { ...fixtureIntegrityConfig, amcheck: { create_extension: true } },
  backup: { schemas: ['app'] },
  health: {
    statements: { mean_warn_ms: 0.5 },
    activity: { long_query_warn_s: 1, long_transaction_warn_s: 1, idle_in_transaction_warn_s: 1, blocked_warn_s: 1 },
    replication: { slot_retained_warn_bytes: 1024 * 1024 },
  },
};

const servers = new Map<number, MajorServer>();
const results = new Map<number, RunResult>();
const cleanResults = new Map<number, RunResult>();
const timings: string[] = [];

beforeAll(async () => {
  await Promise.all(MAJORS.map(async (major) => {
    const t0 = performance.now();
    const m = await startMajor(major);
    servers.set(major, m);
    // Clean first: before the planting, the server holds nothing a check should report.
    await createCleanDb(m);
    const clean = run({ config: validateConfig({ database_url: m.url(CLEAN_DB), ...CONFIG, ...queries(USER_BY_ID) }), checks: CHECKS, signal: new AbortController().signal, log: silentLogger() });
    cleanResults.set(major, await clean);
    await plant(m);
    const t1 = performance.now();
    results.set(major, await run({ config: validateConfig({ database_url: m.url(DB), ...CONFIG, ...queries(ORDERS_BY_REF) }), checks: CHECKS, signal: new AbortController().signal, log: silentLogger() }));
    timings.push(`PostgreSQL ${major}: start+plant ${Math.round(t1 - t0)} ms, checks ${Math.round(performance.now() - t1)} ms`);
  }));
  console.log(timings.join('\n'));
  console.log(matrixTable());
}, 180_000);
afterAll(async () => {
  await Promise.all([...servers.values()].map((m) => m.stop()));
});

const check = (major: number, id: string): CheckResult => results.get(major)!.checks.find((c) => c.id === id)!;
const text = (c: CheckResult) => c.findings.map((f) => `${f.title}\n${f.detail ?? ''}\n=> ${f.recommendation ?? ''}`).join('\n');
const kindsChecked = (c: CheckResult) => c.metrics.filter((m) => m.name === 'amcheck_relations_checked').map((m) => m.tags.kind ?? '?').sort();
const counter = (c: CheckResult, name: string) => c.metrics.filter((m) => m.name === name).reduce((s, m) => s + (m.type === 'counter' ? m.count : 0), 0);

/** What each check found of its planted condition, for the matrix table. */
const FOUND: Record<string, (c: CheckResult) => string | undefined> = {
  'pool.server': (c) => (c.findings.some((f) => f.subject === 'idle in transaction') ? 'idle-in-transaction session' : undefined),
  'integrity.foreign_keys': (c) => (counter(c, 'fk_orphan_rows') > 0 ? `${counter(c, 'fk_orphan_rows')} FK orphans` : undefined),
  'integrity.catalog': (c) => (/sequence.*counters_id_seq/.test(text(c)) ? 'sequence near its end' : undefined),
  'integrity.constraints': (c) => (/transactions_amount_nonzero/.test(text(c)) ? 'violated NOT VALID check' : undefined),
  'integrity.types': (c) => (/double precision/.test(text(c)) ? 'money as float' : undefined),
  'integrity.invariants': (c) => (c.findings.some((f) => f.severity === 'error') ? 'broken invariant' : undefined),
  'integrity.corruption': (c) => `amcheck ${String(c.info.amcheck)}: ${kindsChecked(c).join(' + ')} verified${c.findings.some((f) => f.subject === 'verify_heapam') ? ' (verify_heapam needs 14)' : ''}`,
  'integrity.score': (c) => { const m = c.metrics.find((x) => x.name === 'integrity_score'); return `score ${m?.type === 'gauge' ? m.value.toFixed(2) : '?'}`; },
  'queries.custom': (c) => (/reads all [\d,]+ rows of shop\.orders sequentially/.test(text(c)) ? 'seq scan advice (EXPLAIN ANALYZE)' : undefined),
  'backup.roundtrip': (c) => (/payments_user_fk/.test(c.reason ?? '') ? 'restore fails on the hidden FK orphan' : undefined),
  'backup.archiving': (c) => (/WAL archiving is failing/.test(text(c)) ? 'failing archive_command' : undefined),
  'health.statements': (c) => {
    const plan = (c.info.plans as Array<{ query: string; method: string }> | undefined)?.find((p) => /customer_ref/.test(p.query));
    return /CREATE INDEX CONCURRENTLY ON shop\.orders \(customer_ref\)/.test(text(c)) ? `missing index, plan by ${plan?.method ?? '?'}` : undefined;
  },
  'health.indexes': (c) => (/orders_customer_id_fkey/.test(text(c)) ? 'unindexed FK, unused + redundant index' : undefined),
  'health.vacuum': (c) => (c.findings.some((f) => f.subject === 'shop.ledger') ? 'dead rows, autovacuum off' : undefined),
  'health.activity': (c) => (/billing-worker, idle in transaction\) blocks 1 session/.test(text(c)) ? 'idle-in-tx blocker + blocked' : undefined),
  'health.server': (c) => {
    if (!/checkpoints were requested/.test(text(c)) || !/temporary files/.test(text(c))) return undefined;
    const view = (c.info.checkpoints as { view: string }).view;
    const wal = c.findings.some((f) => f.subject === 'wal_buffers') ? 'WAL buffers full' : 'no pg_stat_wal';
    const io = 'unavailable' in (c.info.io as object) ? 'no pg_stat_io' : 'pg_stat_io read';
    return `temp files, requested checkpoints (${view}), ${wal}, ${io}`;
  },
  'health.replication': (c) => (c.findings.some((f) => f.subject === 'slot stale_slot') ? 'inactive slot' : undefined),
};

function cell(c: CheckResult | undefined): string {
  if (!c) return 'missing';
  if (c.status === 'skip') return `skip (${c.reason ?? ''})`;
  const found = FOUND[c.id]?.(c);
  return `${c.status}${found ? `: ${found}` : ''}`;
}

function matrixTable(): string {
  const rows = CHECKS.map((ch) => `| ${ch.id} | ${MAJORS.map((m) => cell(results.get(m)?.checks.find((c) => c.id === ch.id)).replace(/\|/g, '/')).join(' | ')} |`);
  return [`| check | ${MAJORS.map((m) => `PG ${m}`).join(' | ')} |`, `|---|${MAJORS.map(() => '---').join('|')}|`, ...rows].join('\n');
}

describe.each(MAJORS)('PostgreSQL %i', (major) => {
  it('a clean application database passes every catalog-reading check (roundtrip skips without pg_dump of the major)', () => {
    const r = cleanResults.get(major)!;
    for (const c of r.checks) {
      // queries.custom's timing verdict on a host with 2 busy cores fails as measured (untrusted when stackprobe's own
      // client was starved): its advice is what counts here.
      if (c.id === 'queries.custom') expect(FOUND['queries.custom']!(c) ?? c.status, text(c)).toMatch(/^(pass|warn|untrusted|fail)$/);
      else expect(c.status, `${c.id}: ${c.reason ?? ''} ${text(c)}`).toBe(c.id === 'backup.roundtrip' && major !== 15 ? 'skip' : 'pass');
    }
  });

  it('pool.server names the idle-in-transaction session', () => {
    const c = check(major, 'pool.server');
    expect(c.status, text(c)).toBe('warn');
    expect(FOUND['pool.server']!(c)).toBeDefined();
  });

  it('integrity finds the FK orphans, the sequence near its end and the other planted defects', () => {
    expect(counter(check(major, 'integrity.foreign_keys'), 'fk_orphan_rows')).toBe(3);
    for (const id of ['integrity.foreign_keys', 'integrity.catalog', 'integrity.constraints', 'integrity.types', 'integrity.invariants']) {
      expect(FOUND[id]!(check(major, id)), `${id}: ${text(check(major, id))}`).toBeDefined();
      expect(check(major, id).status).toBe('fail');
    }
  });

  it('integrity.corruption verifies btree indexes everywhere, tables with verify_heapam from 14', () => {
    const c = check(major, 'integrity.corruption');
    expect(c.status, `${c.reason} ${text(c)}`).toBe('pass');
    expect(counter(c, 'corrupt_indexes')).toBe(0);
    const kinds = kindsChecked(c);
    expect(kinds).toContain('index');
    if (major >= 14) expect(kinds).toContain('heap');
    else expect(c.findings.find((f) => f.subject === 'verify_heapam')?.title).toMatch(new RegExp(`^tables not verified: verify_heapam needs amcheck 1\\.3 \\(PostgreSQL 14\\+\\); this server is PostgreSQL ${major} with amcheck 1\\.2`));
  });

  it('backup.archiving reports the failing archive_command; backup.roundtrip uses pg_dump of the server\'s major or names the package', () => {
    const a = check(major, 'backup.archiving');
    expect(a.status, text(a)).toBe('fail');
    expect(text(a)).toMatch(/WAL archiving is failing/);
    const r = check(major, 'backup.roundtrip');
    // With pg_dump of its major (15 here), the round trip meets the orphan hidden behind disabled triggers: the dump does not restore.
    if (major === 15) expect(r.reason).toMatch(/^the restore failed: .*violates foreign key constraint "payments_user_fk"/);
    else {
      expect(r.status).toBe('skip');
      expect(r.reason).toMatch(new RegExp(`no pg_dump/pg_restore for PostgreSQL ${major}.*Install postgresql-client-${major}`));
    }
  });

  it('health finds the planted statement, index, vacuum, activity, server and replication conditions', () => {
    for (const id of healthChecks.map((c) => c.id)) {
      const c = check(major, id);
      // health.indexes and health.replication fail on the invalid index and the slot, the others warn.
      expect(['warn', 'fail'], `${id}: ${c.status} ${c.reason ?? ''} ${text(c)}`).toContain(c.status);
      expect(FOUND[id]!(c), `${id}: ${text(c)}`).toBeDefined();
    }
  });

  it('queries.custom explains the slow lookup: a sequential scan of shop.orders that an index on customer_ref avoids', () => {
    const c = check(major, 'queries.custom');
    expect(FOUND['queries.custom']!(c), text(c)).toBeDefined();
    expect(text(c)).toMatch(/customer_ref/);
  });

  it('health takes plans with EXPLAIN (GENERIC_PLAN) from 16, sampled parameters before', () => {
    const plan = (check(major, 'health.statements').info.plans as Array<{ query: string; method: string }>).find((p) => /customer_ref/.test(p.query))!;
    expect(plan.method).toBe(major >= 16 ? 'generic_plan' : 'sampled_parameters');
  });

  it('health.server reads checkpoints from pg_stat_checkpointer from 17, pg_stat_wal from 14, pg_stat_io from 16, and says what a major lacks', () => {
    const c = check(major, 'health.server');
    expect((c.info.checkpoints as { view: string }).view).toBe(major >= 17 ? 'pg_stat_checkpointer' : 'pg_stat_bgwriter');
    if (major >= 14) expect(c.findings.find((f) => f.subject === 'wal_buffers')?.title, text(c)).toMatch(/^the WAL buffers were full \d+ times since .*; wal_buffers is 64kB$/);
    else expect(c.info.wal).toEqual({ unavailable: `pg_stat_wal needs PostgreSQL 14; this server is PostgreSQL ${major}` });
    if (major >= 16) expect(c.info.io).toMatchObject({ writes: expect.any(Number), backend_writes: expect.any(Number) });
    else expect(c.info.io).toEqual({ unavailable: `pg_stat_io needs PostgreSQL 16; this server is PostgreSQL ${major}` });
  });
});
