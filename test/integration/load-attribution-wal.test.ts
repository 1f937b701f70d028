// Attribution under load, continued: WAL flush as the first to give way on a private server whose commits wait for it
// (commit_delay held under WALWriteLock), not named once commits stop waiting (synchronous_commit = off); and a starved
// measuring client named as the client, whatever the system did.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Attribution } from '../../src/checks/load/attribution-judge.js';
import { mixedLoadCheck } from '../../src/checks/load/mixed.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const bottleneck = (c: CheckResult) => c.info.bottleneck as Attribution;
const show = (c: CheckResult) => `${c.reason ?? ''}\n${JSON.stringify(c.info.bottleneck)}\n${JSON.stringify(c.info.attribution)}\n${JSON.stringify(c.info.stage_table)}`;

async function runMixed(input: ConfigInput): Promise<CheckResult> {
  const result = await run({ config: validateConfig(input), checks: [mixedLoadCheck], signal: new AbortController().signal, log: silentLogger() });
  return result.checks[0]!;
}

describe('WAL flush', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    // Each flush sleeps 50 ms holding WALWriteLock (group commit's delay; fsync must be on for it to apply): commits of
    // 8 sessions queue on LWLock:WALWrite, so the writes carry at most ~160 commits a second.
    server = await startPrivateServer({ fsync: 'on', commit_delay: '50000', commit_siblings: '0' });
    await server.sql('CREATE DATABASE app_wal');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const writes = (extra: Record<string, unknown> = {}): ConfigInput => ({
    database_url: server.url('app_wal'), workload: { scale: 0.05 }, redis_url: undefined,
    load: { stages: [{ rate: 10, duration: '2s' }, { rate: 300, duration: '3s' }], pool_size: 8, p95_limit_ms: 300, weights: { financial_read: 0, write: 1, cache_read: 0, task: 0 } },
    ...extra,
  });

  it('names WAL flush as the first to give way in a write-heavy mix, and rules out the pool and locks', async () => {
    const c = await runMixed(writes());
    const b = bottleneck(c);
    expect(b.saturated, show(c)).toBe(true);
    expect(b.component, show(c)).toBe('wal');
    expect(b.evidence).toMatch(/LWLock:WALWrite/);
    expect(b.advice).toMatch(/synchronous_commit/);
    const top = (c.info.attribution as Array<{ groups: Record<string, number>; server: { walSync: number | null } }>).at(-1)!;
    expect(top.groups.wal).toBeGreaterThan(0.3);
    expect(top.server.walSync).toBeGreaterThan(0);
    expect(b.ruledOut.map((r) => r.component)).toEqual(expect.arrayContaining(['pool', 'lock', 'client']));
  }, 60_000);

  it('does not name WAL when commits do not wait for it (synchronous_commit = off)', async () => {
    await server.sql('ALTER DATABASE app_wal SET synchronous_commit = off');
    try {
      const c = await runMixed(writes());
      const b = bottleneck(c);
      expect(b.component, show(c)).not.toBe('wal');
      const top = (c.info.attribution as Array<{ groups: Record<string, number> }>).at(-1)!;
      expect(top.groups.wal, show(c)).toBeLessThan(0.3);
    } finally {
      await server.sql('ALTER DATABASE app_wal RESET synchronous_commit');
    }
  }, 60_000);
});

describe('a starved measuring client', () => {
  let db: TestDatabase;
  let hog: NodeJS.Timeout | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => clearInterval(hog));
  afterAll(async () => {
    await db.drop();
  });

  it('names the client when stackprobe\'s own event loop cannot keep up, not the system', async () => {
    // The check runs in this process: 80 ms of every 100 ms taken from its event loop, as a starved client host would.
    hog = setInterval(() => {
      const t0 = performance.now();
      while (performance.now() - t0 < 80);
    }, 100);
    const c = await runMixed({
      database_url: db.url, workload: { scale: 0.05 },
      load: { stages: [{ rate: 10, duration: '2s' }, { rate: 100, duration: '3s' }], pool_size: 20, weights: { financial_read: 1, write: 0, cache_read: 0, task: 0 } },
    });
    const b = bottleneck(c);
    expect(b.component, show(c)).toBe('client');
    expect(b.evidence).toMatch(/measuring client gave first.*event loop/);
    const f = c.findings.find((x) => x.subject === 'bottleneck')!;
    expect(f.title).toMatch(/the measuring client/);
  }, 60_000);
});
