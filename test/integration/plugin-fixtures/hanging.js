// A plugin check that ignores its abort signal: one session sleeps on the server for ten minutes, so only a hard budget
// (its sessions closed under it) can end it. Used by the budget attack test.
export const checks = [
  {
    id: 'fixture.hanging',
    category: 'fixture',
    title: 'A check that never returns by itself',
    needs: ['pg'],
    async run(ctx) {
      const pool = ctx.targets.pg.createPool({ max: 1, applicationName: 'stackprobe-hanging', statementTimeoutMs: 600000 });
      await pool.query('SELECT pg_sleep(600)');
    },
  },
  {
    id: 'fixture.spinning',
    category: 'fixture',
    title: 'A check that waits forever on nothing',
    needs: ['pg'],
    async run() {
      await new Promise(() => undefined);
    },
  },
];
