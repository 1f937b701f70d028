// The Redis contenders of figure 2: redis-benchmark, stackprobe's cache executor (ioredis) and the lean RESP path.
import { Redis } from 'ioredis';
import { runClosedLoop } from '../../src/exec/closed-loop.js';
import { Recorder } from '../../src/exec/recorder.js';
import { runRedisFastLoad } from '../../src/exec/redis-fast/drive.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { runTool, selfCpuSeconds } from './proc.js';
import type { Measurement, Tool } from './rounds.js';

export const KEY_SPACE = 100_000;
export const VALUE = 'xxx'; // redis-benchmark's default -d 3
export const IN_FLIGHT = 50;
/** The cache category's default `cache.connections`: the in-flight operations share these ioredis connections. */
export const IOREDIS_CONNECTIONS = 4;

/** The rps column of `redis-benchmark --csv` for one test, e.g. `"GET","105401.84",…`. */
export function parseRedisBenchmarkCsv(out: string, test: string): number {
  const line = out.split('\n').find((l) => l.startsWith(`"${test}"`));
  return line ? Number(line.split(',')[1]!.replace(/"/g, '')) : Number.NaN;
}

export function redisBenchmarkTool(binary: string, port: number, test: 'SET' | 'GET', pipeline: number, requests: number): Tool & { command: string } {
  const args = ['-p', String(port), '-t', test.toLowerCase(), '-c', String(IN_FLIGHT), '-n', String(requests), '-r', String(KEY_SPACE), '-P', String(pipeline), '--csv'];
  return {
    name: 'redis-benchmark',
    command: `redis-benchmark ${args.join(' ')}`,
    async run(): Promise<Measurement> {
      const r = await runTool(binary, args);
      const rps = parseRedisBenchmarkCsv(r.stdout, test);
      if (r.code !== 0 || !Number.isFinite(rps)) throw new Error(`redis-benchmark failed (exit ${r.code}): ${r.stderr.trim().slice(-200)}`);
      return { ops: requests, seconds: requests / rps, cpuSeconds: r.cpuSeconds };
    },
  };
}

export function leanRedisTool(url: string, test: 'SET' | 'GET', pipeline: number, seconds: number): Tool {
  return {
    name: 'stackprobe-lean',
    async run() {
      const cpu0 = selfCpuSeconds();
      const r = await runRedisFastLoad({ url, command: test, connections: IN_FLIGHT, depth: pipeline, durationMs: seconds * 1000, keyPrefix: 'key:', keySpace: KEY_SPACE, value: VALUE });
      if (r.errors > 0) throw new Error(`${r.errors} commands failed: ${r.firstError}`);
      return { ops: r.ok, seconds: r.elapsedMs / 1000, cpuSeconds: selfCpuSeconds() - cpu0 };
    },
  };
}

const key = () => `key:${String(Math.floor(Math.random() * KEY_SPACE)).padStart(12, '0')}`;

/** What cache.concurrency does: runClosedLoop with IN_FLIGHT VUs sharing ioredis connections; a pipeline() per iteration when pipelining. */
export function executorRedisTool(url: string, test: 'SET' | 'GET', pipeline: number, seconds: number): Tool {
  return {
    name: 'stackprobe-executor-ioredis',
    async run() {
      const clients = Array.from({ length: IOREDIS_CONNECTIONS }, () => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 }));
      await Promise.all(clients.map((c) => c.connect()));
      try {
        const recorder = new Recorder({ registry: new MetricRegistry(), name: 'bench', elapsed: () => 0 });
        const one = (c: Redis) => (test === 'SET' ? c.set(key(), VALUE) : c.get(key()));
        const many = (c: Redis) => {
          const p = c.pipeline();
          for (let i = 0; i < pipeline; i++) {
            if (test === 'SET') p.set(key(), VALUE);
            else p.get(key());
          }
          return p.exec();
        };
        const cpu0 = selfCpuSeconds();
        const r = await runClosedLoop({
          vus: IN_FLIGHT, durationMs: seconds * 1000, timeoutMs: 10_000, recorder, signal: new AbortController().signal,
          fn: (vu) => (pipeline > 1 ? many(clients[vu % clients.length]!) : one(clients[vu % clients.length]!)),
        });
        const cpuSeconds = selfCpuSeconds() - cpu0;
        if (r.errors > 0) throw new Error(`${r.errors} iterations failed: ${recorder.lastErrors[0]}`);
        return { ops: r.iterations * pipeline, seconds: r.elapsedMs / 1000, cpuSeconds };
      } finally {
        await Promise.all(clients.map((c) => c.quit()));
      }
    },
  };
}
