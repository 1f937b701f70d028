// Attacks on "every check has a hard budget", against the real server: checks that never return by themselves, and a
// server that never answers. Their bounds are timings (the lost sessions' attacks are in attack-sessions-lost).
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../src/exec/timeout.js';
import { startCli } from '../helpers/cli.js';
import { eachTestDatabaseAndFolder, readRun, STACK_TRACE } from '../helpers/stackprobe-sessions.js';

const t = eachTestDatabaseAndFolder();

describe('hard budgets', () => {
  it('a check that ignores its signal is stopped at its budget, its sessions closed, and the next check runs', async () => {
    const fixtures = path.join(import.meta.dirname, 'plugin-fixtures');
    const config = path.join(t.dir, 'config.json');
    await writeFile(config, JSON.stringify({
      plugins: [path.join(fixtures, 'hanging.js'), path.join(fixtures, 'passing.js')],
      only: ['fixture.hanging', 'fixture.spinning', 'fixture.passing'],
      timeouts: { check_ms: 3000, operation_ms: 600_000 },
    }));
    const t0 = performance.now();
    const out = await startCli(['run', '--config', config, '--output', t.dir], { env: { DATABASE_URL: t.db.url } }).done;
    const wallS = (performance.now() - t0) / 1000;
    expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
    expect(out.code).toBe(1);
    const result = await readRun(t.dir);
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(byId['fixture.hanging']).toMatchObject({ status: 'fail' });
    expect(byId['fixture.hanging']!.reason).toContain('did not finish within its time budget of 3000 ms');
    expect(byId['fixture.spinning']).toMatchObject({ status: 'fail' });
    expect(byId['fixture.spinning']!.reason).toContain('abandoned');
    // Stopped at its budget (asked 600 ms before it, a fifth of a short budget), not 2 s past it, nor ten minutes.
    expect(byId['fixture.hanging']!.durationMs).toBeGreaterThanOrEqual(3000);
    expect(byId['fixture.hanging']!.durationMs).toBeLessThan(3000 + 250);
    expect(byId['fixture.spinning']!.durationMs).toBeLessThan(3000 + 250);
    expect(byId['fixture.passing']).toMatchObject({ status: 'pass' });
    expect(wallS).toBeLessThan(60);
    // The sleeping statement did not outlive its check.
    expect(await t.db.sql(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()`, [t.db.name])).toEqual([]);
  });
});

describe('Ctrl-C while connecting', () => {
  it('stops waiting for a server that accepts and never answers, and exits 130 at once', async () => {
    // A server that takes the connection and says nothing: the connect timeout is a minute away.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const config = path.join(t.dir, 'config.json');
    await writeFile(config, JSON.stringify({ timeouts: { connect_ms: 60_000 } }));
    try {
      const cli = startCli(['run', '--quick', '--only', 'queries', '--config', config, '--output', t.dir], { env: { DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/db` } });
      await waitFor(() => sockets.size > 0, 10_000, 'stackprobe to connect');
      const t0 = performance.now();
      cli.child.kill('SIGINT');
      const out = await cli.done;
      expect(out.code).toBe(130);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(out.stdout + out.stderr).not.toMatch(STACK_TRACE);
      expect(out.stdout + out.stderr).not.toContain('secret');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
