// A plugin check that passes: it times a trivial query and declares its own threshold.
import { metric, unit } from 'stackprobe';

const PING = metric.trend({ name: 'ping_duration', meaning: 'latency', unit: unit.ms, description: 'SELECT 1 on the admin pool' });

export const checks = [
  {
    id: 'fixture.passing',
    category: 'fixture',
    title: 'Passing plugin',
    needs: ['pg'],
    metrics: [PING],
    thresholds: { ping_duration: ['p(95)<1000', 'count>=5'] },
    async run(ctx) {
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await ctx.targets.pg.admin.query('SELECT 1');
        ctx.metrics.trend(PING).record(performance.now() - t0);
      }
    },
  },
];
