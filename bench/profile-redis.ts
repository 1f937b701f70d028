// The CPU profile behind figure 2's like-for-like row: cache.concurrency at 48 in flight on its default 4 connections,
// run under `node --cpu-prof` on a private redis-server, then the profile summarised by self time (as profile-pg.ts).
//   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/sp-prof --import tsx --import ./bench/lib/use-dist.mjs bench/profile-redis.ts [seconds]
//   node --import tsx bench/profile-redis.ts --read /tmp/sp-prof/<file>.cpuprofile
import { readFileSync } from 'node:fs';
import { cacheConcurrencyCheck } from '../src/checks/cache/index.js';
import { summariseProfile } from './lib/cpuprofile.js';
import { findTool, selfCpuSeconds } from './lib/proc.js';
import { startPrivateRedis } from './lib/private-redis.js';
import { checkTool, concurrencyFigure, CONNECTIONS, IN_FLIGHT, KEY_SPACE, VALUE } from './lib/redis-tools.js';

async function profile(seconds: number): Promise<void> {
  const server = findTool('redis-server');
  if (!server) throw new Error('redis-server not found on PATH');
  const redis = await startPrivateRedis(server);
  try {
    const tool = checkTool('cache.concurrency', redis.url, cacheConcurrencyCheck,
      { cache: { key_space: KEY_SPACE, value_bytes: VALUE.length, concurrency_levels: [IN_FLIGHT], connections: CONNECTIONS, step_duration_s: seconds } },
      concurrencyFigure(IN_FLIGHT, seconds));
    const cpu0 = selfCpuSeconds();
    const m = await tool.run();
    const cpu = selfCpuSeconds() - cpu0;
    process.stdout.write(`cache.concurrency ${IN_FLIGHT} in flight on ${CONNECTIONS} connections: ${Math.round(m.ops / m.seconds)} ops/s, ${((cpu * 1e6) / m.ops).toFixed(2)} µs CPU/op (whole run)\n`);
  } finally {
    await redis.stop();
  }
}

const at = process.argv.indexOf('--read');
if (at >= 0) {
  process.stdout.write(`${summariseProfile(JSON.parse(readFileSync(process.argv[at + 1]!, 'utf8')), 40)}\n`);
} else {
  await profile(Number(process.argv[2] ?? 10));
}
