// A --read-only run of every health check as a role with only pg_monitor and CONNECT: each check runs (none errors),
// nothing is written (no WAL, same catalog and data), and what the role cannot see is said, not guessed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthChecks } from '../../src/checks/health/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { createShop, driveShop, SLOW_QUERY } from '../helpers/health-fixture.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';

const DB = 'shop_ro';
let server: PrivateServer;
beforeAll(async () => {
  // No autovacuum and no standby snapshots from the background writer (wal_level minimal): the only thing that could
  // write WAL during the run is stackprobe itself.
  server = await startPrivateServer({ autovacuum: 'off', wal_level: 'minimal', max_wal_senders: '0' });
  await createShop(server, DB, { defects: true });
  await server.sql('CREATE EXTENSION pg_stat_statements', [], DB);
  await driveShop(server, DB, 20);
  await server.sql(`CREATE ROLE watcher LOGIN IN ROLE pg_monitor`);
  await server.sql(`REVOKE CONNECT ON DATABASE ${DB} FROM PUBLIC`);
  await server.sql(`GRANT CONNECT ON DATABASE ${DB} TO watcher`);
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const SNAPSHOT = `
SELECT (SELECT md5(string_agg(c.oid::text || c.relname || c.relfilenode::text, ',' ORDER BY c.oid)) FROM pg_class c) AS catalog,
       (SELECT md5(string_agg(o::text, ',' ORDER BY o.id)) FROM shop.orders o) AS orders,
       (SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM shop.customers c) AS customers`;

describe('health under --read-only as a pg_monitor role', () => {
  it('runs every health check and writes nothing', async () => {
    const before = await server.sql(SNAPSHOT, [], DB);
    // Reading the snapshot may prune pages the fixture's DDL left dead (that writes WAL): the WAL position is read
    // apart, right around the run, after a checkpoint so none lands mid-run from earlier work.
    await server.sql('CHECKPOINT');
    const lsnBefore = await server.sql(`SELECT pg_current_wal_lsn()::text AS lsn`);
    const result = await run({
      config: validateConfig({ database_url: server.url(DB, 'watcher'), read_only: true, only: ['health'] }),
      checks: healthChecks, signal: new AbortController().signal, log: silentLogger(),
    });
    const lsnAfter = await server.sql(`SELECT pg_current_wal_lsn()::text AS lsn`);
    expect(lsnAfter).toEqual(lsnBefore);
    const after = await server.sql(SNAPSHOT, [], DB);
    expect(after).toEqual(before);

    const by = (id: string): CheckResult => result.checks.find((c) => c.id === id)!;
    for (const id of ['health.activity', 'health.statements', 'health.indexes', 'health.vacuum']) {
      expect(['pass', 'warn'], `${id}: ${by(id).reason ?? ''}`).toContain(by(id).status);
    }
    // pg_monitor reads every statement's text and every catalog figure ...
    const st = by('health.statements');
    expect((st.info.top_by_total_time as Array<{ query: string }>).map((s) => s.query)).toContain(SLOW_QUERY);
    expect(by('health.indexes').findings.map((f) => f.subject)).toEqual(expect.arrayContaining(['shop.orders_status_idx', 'shop.orders_created_idx', 'shop.orders']));
    // ... but may not plan statements on tables it cannot SELECT: said per statement, never a wrong plan.
    expect(st.findings.map((f) => f.title).join('\n')).toMatch(/plan of SELECT id, amount FROM shop\.orders WHERE customer_ref = \$1 not taken: permission denied for schema shop \(42501\): planning needs USAGE on the schema and SELECT on the tables/);
  }, 120_000);
});
