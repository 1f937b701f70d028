// A plugin check on Redis through the contract's own RedisClient (no driver of its own): a value round trip under the
// run's key prefix on the shared client, INFO, and a duplicate connection it opens and quits.
import { metric, unit } from 'stackprobe';

const ROUNDTRIP = metric.trend({ name: 'redis_roundtrip_duration', meaning: 'latency', unit: unit.ms, description: 'a SET and a GET of one key' });

export const checks = [
  {
    id: 'fixture.redis',
    category: 'fixture',
    title: 'Redis plugin',
    needs: ['redis'],
    metrics: [ROUNDTRIP],
    thresholds: { redis_roundtrip_duration: ['count>=3'] },
    async run(ctx) {
      const redis = ctx.targets.redis;
      const key = `${redis.keyPrefix}fixture`;
      ctx.info('key', key);
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await redis.client.set(key, `v${i}`, 'EX', 60);
        if ((await redis.client.get(key)) !== `v${i}`) throw new Error('the value read back is not the one written');
        ctx.metrics.trend(ROUNDTRIP).record(performance.now() - t0);
      }
      ctx.info('redis_version', /redis_version:(\S+)/.exec(await redis.client.info('server'))?.[1]);
      const dup = redis.duplicate();
      ctx.defer(() => dup.quit());
      ctx.info('pong', await dup.call('PING'));
    },
  },
];
