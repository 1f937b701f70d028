// A plugin check whose every kind of PostgreSQL session is stuck on the server and which ignores its abort signal: a
// pooled session and a measuring (wire) session each in pg_sleep, a single client waiting for an advisory lock that
// another single client of the check holds. Only the run's budget cleanup can end them. Used by the budget sessions test.
export const checks = [
  {
    id: 'fixture.stuck',
    category: 'fixture',
    title: 'A check whose sessions are stuck on the server',
    needs: ['pg'],
    async run(ctx) {
      const pg = ctx.targets.pg;
      const long = 600000;
      const holder = pg.createClient({ applicationName: 'stackprobe-t-stuck-holder', statementTimeoutMs: long });
      await holder.connect();
      await holder.query('SELECT pg_advisory_lock(424242)');
      const blocked = pg.createClient({ applicationName: 'stackprobe-t-stuck-blocked', statementTimeoutMs: long });
      await blocked.connect();
      const pool = pg.createPool({ max: 1, applicationName: 'stackprobe-t-stuck-pool', statementTimeoutMs: long });
      const wire = await pg.openSession({ applicationName: 'stackprobe-t-stuck-wire', statementTimeoutMs: long });
      await wire.prepare('sleep', 'SELECT pg_sleep(600)');
      await Promise.all([blocked.query('SELECT pg_advisory_lock(424242)'), pool.query('SELECT pg_sleep(600)'), wire.run(wire.request('sleep', []))]);
    },
  },
];
