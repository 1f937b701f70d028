// Figure 2: Redis GET/SET at 50 in flight, without and with 16-deep pipelines, stackprobe vs redis-benchmark.
import { findTool } from './proc.js';
import { startPrivateRedis } from './private-redis.js';
import { executorRedisTool, IN_FLIGHT, IOREDIS_CONNECTIONS, KEY_SPACE, leanRedisTool, redisBenchmarkTool, VALUE } from './redis-tools.js';
import { roundRatio, runRounds } from './rounds.js';
import { formatNumber } from './table.js';
import type { BenchOptions, Row } from './types.js';
import { RedisFastConnection } from '../../src/exec/redis-fast/connection.js';

const LEAN_CMD = 'runRedisFastLoad (src/exec/redis-fast/drive.ts): 50 raw RESP connections, each batch one pre-encoded write, replies counted by scanning bytes';
const EXEC_CMD = `runClosedLoop + Recorder, ${IN_FLIGHT} VUs over ${IOREDIS_CONNECTIONS} ioredis connections (cache.concurrency's path)`;

async function populate(url: string): Promise<void> {
  const c = await RedisFastConnection.connect(url);
  try {
    for (let start = 0; start < KEY_SPACE; start += 1000) {
      const args = ['MSET'];
      for (let i = start; i < Math.min(KEY_SPACE, start + 1000); i++) args.push(`key:${String(i).padStart(12, '0')}`, VALUE);
      await c.command(args);
    }
  } finally {
    await c.close();
  }
}

export async function figureRedis(opts: BenchOptions): Promise<Row[]> {
  const bench = findTool('redis-benchmark');
  const server = findTool('redis-server');
  if (!bench || !server) throw new Error('redis-benchmark or redis-server not found on PATH: install Debian redis-tools and redis-server');
  const rounds = opts.quick ? 1 : 3;
  const seconds = opts.quick ? 2 : 5;
  const redis = await startPrivateRedis(server);
  const rows: Row[] = [];
  try {
    await populate(redis.url);
    for (const pipeline of [1, 16]) {
      for (const test of ['SET', 'GET'] as const) {
        // redis-benchmark runs a request count: sized to last about as long as our timed runs on this machine.
        const requests = Math.round(seconds * (pipeline > 1 ? 1_000_000 : 90_000));
        const base = redisBenchmarkTool(bench, redis.port, test, pipeline, requests);
        const tools = [base, leanRedisTool(redis.url, test, pipeline, seconds), executorRedisTool(redis.url, test, pipeline, seconds)];
        const res = await runRounds(tools, rounds, (t, m) => opts.log(`fig 2: ${test} P${pipeline} ${t}: ${formatNumber(m.ops / m.seconds)} ops/s`));
        const b = res.get('redis-benchmark')!;
        const label = `${test} ${IN_FLIGHT} in flight${pipeline > 1 ? ` × P${pipeline}` : ''}`;
        rows.push({ figure: 2, measure: `${label}: redis-benchmark ops/s`, value: b.opsPerSecond, unit: 'ops/s', note: `client CPU ${formatNumber(b.cpuMicros)} µs/op`, command: base.command, detail: { rounds: b.rounds } });
        for (const [name, cmd] of [['stackprobe-lean', LEAN_CMD], ['stackprobe-executor-ioredis', EXEC_CMD]] as const) {
          const s = res.get(name)!;
          const value = roundRatio(s, b);
          const target = name === 'stackprobe-lean' ? (pipeline > 1 ? 0.8 : 1.0) : undefined;
          const row: Row = {
            figure: 2, measure: `${label}: ${name} / redis-benchmark`, value, unit: '×', command: cmd,
            note: `${formatNumber(s.opsPerSecond)} ops/s; CPU ${formatNumber(s.cpuMicros)} vs ${formatNumber(b.cpuMicros)} µs/op`,
            detail: { rounds: s.rounds },
          };
          if (target !== undefined) Object.assign(row, { target: `≥ ${target}×`, met: value >= target });
          rows.push(row);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  return rows;
}
