// A plugin check that passes: it times a trivial query and declares its own threshold.
export const checks = [
  {
    id: 'fixture.passing',
    category: 'fixture',
    title: 'Passing plugin',
    needs: ['pg'],
    thresholds: { ping_duration: ['p(95)<1000', 'count>=5'] },
    async run(ctx) {
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await ctx.targets.pg.admin.query('SELECT 1');
        ctx.metrics.trend('ping_duration').record(performance.now() - t0);
      }
    },
  },
];
