// A plugin check that starves its own client: it times SELECT 1 while a synchronous loop keeps stackprobe's event loop
// blocked for 300 ms at a time, the way a too-heavy client does. Its threshold (p95 under 10 µs) cannot be met.
import { setTimeout as sleep } from 'node:timers/promises';
import { metric, unit } from 'stackprobe';

const PING = metric.trend({ name: 'ping_duration', meaning: 'latency', unit: unit.ms, description: 'SELECT 1 timed while the client is starved' });

const spin = (ms) => {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* the starvation is the fixture */ }
};

export const checks = [
  {
    id: 'fixture.starving',
    category: 'fixture',
    title: 'Plugin that starves its client',
    needs: ['pg'],
    metrics: [PING],
    thresholds: { ping_duration: ['p(95)<0.01'] },
    async run(ctx) {
      for (let i = 0; i < 4; i++) {
        const t0 = performance.now();
        const q = ctx.targets.pg.admin.query('SELECT 1');
        spin(300);
        await q;
        ctx.metrics.trend(PING).record(performance.now() - t0);
        await sleep(0);
      }
    },
  },
];
