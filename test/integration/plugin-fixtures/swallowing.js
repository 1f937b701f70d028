// A plugin check that catches its own errors and carries on: a lost session becomes a finding, never a throw. Used by
// the lost-session attack test: the check must still fail, naming the session the server ended.
export const checks = [
  {
    id: 'fixture.swallowing',
    category: 'fixture',
    title: 'A check that swallows the loss of its session',
    needs: ['pg'],
    async run(ctx) {
      const pool = ctx.targets.pg.createPool({ max: 1, applicationName: 'stackprobe-swallowing' });
      ctx.defer(() => pool.end());
      try {
        await pool.query('SELECT pg_sleep(30)');
      } catch (err) {
        ctx.finding({ severity: 'warn', subject: 'fixture', title: 'the query failed', detail: String(err && err.message) });
      }
    },
  },
];
