// health.replication and health.server against a private primary and a physical replica (pg_basebackup of it):
// clean first (the server's counters on a fresh primary), then checkpoints and temp files, an inactive slot keeping
// WAL, and the replica's lag seen from both sides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthChecks, replicationCheck, serverCheck } from '../../src/checks/health/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';

let primary: PrivateServer;
let replica: PrivateServer | undefined;
beforeAll(async () => {
  primary = await startPrivateServer();
  await primary.sql(`CREATE TABLE ledger (id int PRIMARY KEY, amount numeric NOT NULL)`);
  await primary.sql(`CREATE EXTENSION pg_stat_statements`);
}, 60_000);
afterAll(async () => {
  await replica?.stop();
  await primary?.stop();
});

const runOn = (server: PrivateServer, checks = [replicationCheck, serverCheck], config: ConfigInput = {}): Promise<RunResult> =>
  run({ config: validateConfig({ database_url: server.url(), ...config }), checks, signal: new AbortController().signal, log: silentLogger() });
const check = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
const text = (c: CheckResult) => c.findings.map((f) => `${f.title} => ${f.recommendation ?? ''}`).join('\n');
const SMALL = { health: { replication: { slot_retained_warn_bytes: 1024 * 1024 } } };

describe('health.server', () => {
  it('reports the hit ratio, temporary files and checkpoints; warns when most checkpoints were requested', async () => {
    const clean = check(await runOn(primary, [serverCheck]), 'health.server');
    expect(clean.status, text(clean)).toBe('pass');
    expect(clean.metrics.find((m) => m.name === 'buffer_hit_ratio')).toMatchObject({ value: expect.any(Number) });

    // A sort bigger than work_mem: temporary files, named with the setting.
    await primary.sql(`SET work_mem = '64kB'; SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC) s`);
    for (let i = 0; i < 3; i++) await primary.sql('CHECKPOINT');
    const after = check(await runOn(primary, [serverCheck]), 'health.server');
    expect(text(after)).toMatch(/\d+ temporary files \([\d.]+ [kM]B\) written by this database .*; work_mem is 4MB/);
    expect(text(after)).toMatch(/of checkpoints were requested \(\d+ of \d+\), not timed; max_wal_size is 1GB => Raise max_wal_size/);
    expect(after.status).toBe('warn');
  }, 60_000);
});

describe('health.replication', () => {
  it('passes with no replica and no slot, then names an inactive slot with the WAL it keeps', async () => {
    const clean = await runOn(primary, [replicationCheck], SMALL);
    expect(check(clean, 'health.replication').status, text(check(clean, 'health.replication'))).toBe('pass');

    await primary.sql(`SELECT pg_create_physical_replication_slot('stale_slot', true)`);
    await primary.sql(`INSERT INTO ledger SELECT g, g FROM generate_series(1, 100000) g`);
    const result = await runOn(primary, [replicationCheck], SMALL);
    const rep = check(result, 'health.replication');
    expect(rep.status).toBe('warn');
    const f = rep.findings.find((x) => x.subject === 'slot stale_slot');
    expect(f?.title).toMatch(/^inactive replication slot stale_slot \(physical\) keeps \d+\.\d MB of WAL \(wal_status reserved\)$/);
    expect((f?.data as { retained_bytes: number }).retained_bytes).toBeGreaterThan(1024 * 1024);
    const drop = f!.recommendation!.match(/SELECT pg_drop_replication_slot\('stale_slot'\)/)![0];
    await primary.sql(drop); // the advice runs as written
    expect(check(await runOn(primary, [replicationCheck], SMALL), 'health.replication').status).toBe('pass');
  }, 60_000);

  it('reports a physical replica\'s lag from the primary and from the replica, where every health check runs read-only', async () => {
    replica = await startPrivateServer({}, { replicaOf: primary });
    await waitFor(async () => (await primary.sql(`SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'`)).length === 1, 30_000, 'the replica to stream');
    await primary.sql(`INSERT INTO ledger SELECT g, g FROM generate_series(100001, 120000) g`);

    const fromPrimary = check(await runOn(primary, [replicationCheck]), 'health.replication');
    expect(fromPrimary.status, text(fromPrimary)).toBe('pass');
    expect(fromPrimary.info.role).toBe('primary');
    expect(fromPrimary.metrics.find((m) => m.name === 'replicas')).toMatchObject({ value: 1 });
    expect(text(fromPrimary)).toMatch(/^replica walreceiver \(127\.0\.0\.1, streaming, async\): replay \d+ s and [\d.]+ (B|kB|MB) behind \(write \d+ s, flush \d+ s\)/m);

    const onReplica = await runOn(replica, healthChecks, { read_only: true });
    const rep = check(onReplica, 'health.replication');
    expect(rep.info.role).toBe('replica');
    expect(text(rep)).toMatch(/this server is a replica \(WAL receiver streaming\)/);
    for (const c of onReplica.checks) expect(['pass', 'warn'], `${c.id}: ${c.reason ?? ''}`).toContain(c.status);
  }, 90_000);
});

