// The Redis contenders of figure 2: redis-benchmark, the cache checks as users run them (product path), and the
// cache category's former ioredis executor (kept as history).
import os from 'node:os';
import { Redis } from 'ioredis';
import { WireConnection } from '../../src/targets/redis/wire/connection.js';
import { getHit } from '../../src/targets/redis/wire/commands.js';
import type { Check } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { runClosedLoop } from '../../src/exec/closed-loop.js';
import { Recorder, operationMetrics } from '../../src/exec/recorder.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import type { CheckResult, GaugeMetric, TrendMetric } from '../../src/result/model.js';
import { SharedResources } from '../../src/run/context.js';
import { runCheck } from '../../src/run/run-check.js';
import { runKeyPrefix } from '../../src/targets/redis/keys.js';
import { openRedisTarget } from '../../src/targets/redis/target.js';
import { silentLogger } from '../../src/util/logger.js';
import { runTool, selfCpuSeconds, selfUserSeconds } from './proc.js';
import type { Measurement, Tool } from './rounds.js';

export const KEY_SPACE = 100_000;
export const VALUE = 'xxx'; // redis-benchmark's default -d 3
/** The cache category's default `cache.connections`: the in-flight operations share these connections. */
export const CONNECTIONS = 4;
/** Operations in flight per connection at IN_FLIGHT: redis-benchmark's `-P` for the like-for-like row. */
export const DEPTH = 12;
/** 48: CONNECTIONS × DEPTH, so the check and `redis-benchmark -c 4 -P 12` keep the same commands on the same connections. */
export const IN_FLIGHT = CONNECTIONS * DEPTH;

/** Per-round side figures a Measurement has no field for (p50s, load averages), kept for the rows and the JSON. */
export interface Sides {
  p50Ms: number[];
  pingP50Ms: number[];
  load1: number[];
  /** Thresholds the check missed in a round (`metric expression: actual`): kept beside its figures, which still count. */
  missed: string[];
}

const newSides = (): Sides => ({ p50Ms: [], pingP50Ms: [], load1: [], missed: [] });

/** `redis-benchmark --csv` of Redis 7: `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",…`. */
export function parseRedisBenchmarkCsv(out: string, test: string): { rps: number; p50Ms: number } {
  const line = out.split('\n').find((l) => l.startsWith(`"${test}"`));
  const cols = line ? line.split(',').map((c) => Number(c.replace(/"/g, ''))) : [];
  return { rps: cols[1] ?? Number.NaN, p50Ms: cols[4] ?? Number.NaN };
}

/**
 * redis-benchmark with `-t get|set`, or with `command`: the words of one command of its own (`__rand_int__` stands for
 * a key number within -r), so it sends exactly what a check sends, e.g. SET with the check's TTL.
 */
export function redisBenchmarkTool(binary: string, port: number, o: { test: 'SET' | 'GET'; clients: number; pipeline: number; requests: number; name?: string; command?: string[] }): Tool & { command: string; sides: Sides } {
  const common = ['-p', String(port), '-c', String(o.clients), '-n', String(o.requests), '-r', String(KEY_SPACE), '-P', String(o.pipeline), '--csv'];
  const args = o.command ? [...common, ...o.command] : ['-p', String(port), '-t', o.test.toLowerCase(), ...common.slice(2)];
  const csvTest = o.command ? o.command.join(' ') : o.test;
  const sides = newSides();
  return {
    name: o.name ?? 'redis-benchmark',
    command: `redis-benchmark ${args.join(' ')}`,
    sides,
    async run(): Promise<Measurement> {
      sides.load1.push(os.loadavg()[0]!);
      const r = await runTool(binary, args);
      const { rps, p50Ms } = parseRedisBenchmarkCsv(r.stdout, csvTest);
      if (r.code !== 0 || !Number.isFinite(rps)) throw new Error(`redis-benchmark failed (exit ${r.code}): ${r.stderr.trim().slice(-200)}`);
      sides.p50Ms.push(p50Ms);
      return { ops: o.requests, seconds: o.requests / rps, cpuSeconds: r.cpuSeconds, userSeconds: r.userSeconds };
    },
  };
}

const gauge = (r: CheckResult, name: string, tags: Record<string, string>) =>
  r.metrics.find((m): m is GaugeMetric => m.type === 'gauge' && m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v));
const trend = (r: CheckResult, name: string, tags: Record<string, string>) =>
  r.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.name === name && Object.entries(tags).every(([k, v]) => m.tags[k] === v));

/** What one product-check run gives the figure: commands per second over the timed part, and optionally p50s. */
export interface CheckFigure {
  opsPerSecond: number;
  seconds: number;
  p50Ms?: number;
  pingP50Ms?: number;
}

/**
 * A cache check run exactly as `stackprobe run` runs it (runCheck: budget, clean-up, its own measuring connections),
 * against a target opened on `url`; `read` takes the figure from the check's result. Client CPU is not reported for
 * these rows: the check's own set-up (writing the key space) would be counted in it.
 */
export function checkTool(name: string, url: string, check: Check, config: ConfigInput, read: (r: CheckResult) => CheckFigure): Tool & { sides: Sides; last?: CheckResult } {
  const sides = newSides();
  const tool: Tool & { sides: Sides; last?: CheckResult } = {
    name,
    sides,
    async run(): Promise<Measurement> {
      sides.load1.push(os.loadavg()[0]!);
      const target = await openRedisTarget(url, { connectMs: 5000, commandMs: 2000, keyPrefix: runKeyPrefix('stackprobe:bench-') });
      const shared = new SharedResources();
      const log = silentLogger();
      try {
        const result = await runCheck({
          check, config: validateConfig({ redis_url: url, ...config }), targets: { redis: target }, unavailable: {}, broken: new Set(), shared,
          signal: new AbortController().signal, log, onProgress: () => undefined,
        });
        // A check that could not measure (skipped, or failed with a reason) has no figure; one that measured and missed a
        // threshold (a p95 over 10 ms on a loaded host) has, and the miss is shown beside it.
        if (result.status === 'skip' || result.reason) throw new Error(`${check.id} ${result.status}: ${result.reason ?? result.findings.map((f) => f.title).join('; ')}`);
        for (const t of result.thresholds) if (!t.ok && t.level === 'fail') sides.missed.push(`${t.metric} ${t.expression}: ${t.actual ?? 'not recorded'}`);
        tool.last = result;
        const f = read(result);
        if (f.p50Ms !== undefined) sides.p50Ms.push(f.p50Ms);
        if (f.pingP50Ms !== undefined) sides.pingP50Ms.push(f.pingP50Ms);
        return { ops: f.opsPerSecond * f.seconds, seconds: f.seconds, cpuSeconds: 0 };
      } finally {
        await shared.cleanupAll(log);
        await target.close();
      }
    },
  };
  return tool;
}

/** cache.concurrency at one level: its throughput gauge (GETs and 20 % SETs), over step_duration_s. */
export function concurrencyFigure(level: number, seconds: number) {
  return (r: CheckResult): CheckFigure => {
    const tags = { concurrency: String(level) };
    return {
      opsPerSecond: gauge(r, 'cache_concurrency_throughput', tags)?.value ?? 0, seconds,
      pingP50Ms: trend(r, 'cache_ping_duration', tags)?.summary.percentiles.p50, p50Ms: trend(r, 'cache_concurrency_duration', { ...tags, op: 'get' })?.summary.percentiles.p50,
    } as CheckFigure;
  };
}

/** cache.latency, one operation: commands per second (a pipeline counts its `batch` commands) and p50s. */
export function latencyFigure(op: 'get' | 'pipeline', batch: number, seconds: number) {
  return (r: CheckResult): CheckFigure => {
    const t = trend(r, 'cache_op_duration', { op });
    const perS = gauge(r, 'cache_op_throughput', { op })?.value ?? 0;
    return { opsPerSecond: perS * (op === 'pipeline' ? batch : 1), seconds, p50Ms: t?.summary.percentiles.p50, pingP50Ms: trend(r, 'cache_ping_duration', { op })?.summary.percentiles.p50 } as CheckFigure;
  };
}

const key = () => `key:${String(Math.floor(Math.random() * KEY_SPACE)).padStart(12, '0')}`;

/** History: what cache.concurrency did before the measuring path, runClosedLoop with 50 VUs sharing ioredis connections. */
export function executorIoredisTool(url: string, test: 'SET' | 'GET', pipeline: number, seconds: number, inFlight = IN_FLIGHT): Tool {
  return {
    name: 'before: executor-ioredis',
    async run() {
      const clients = Array.from({ length: CONNECTIONS }, () => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 }));
      await Promise.all(clients.map((c) => c.connect()));
      try {
        const recorder = new Recorder({ registry: new MetricRegistry(), metrics: operationMetrics('bench', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => 0 });
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
          vus: inFlight, durationMs: seconds * 1000, timeoutMs: 10_000, recorder, signal: new AbortController().signal,
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

/**
 * `IN_FLIGHT` async loops over `CONNECTIONS` connections (loop i on connection i mod CONNECTIONS), each awaiting one
 * GET of a random key after another for `seconds`: the same load shape for every Redis client. CPU over the loops only.
 */
async function getLoops(seconds: number, get: (conn: number, key: string) => Promise<unknown>): Promise<Measurement> {
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, c) => get(c, key())));
  let ops = 0;
  const cpu0 = selfCpuSeconds();
  const user0 = selfUserSeconds();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, i) => {
    const conn = i % CONNECTIONS;
    while (performance.now() < deadline) {
      await get(conn, key());
      ops++;
    }
  }));
  return { ops, seconds: (performance.now() - t0) / 1000, cpuSeconds: selfCpuSeconds() - cpu0, userSeconds: selfUserSeconds() - user0 };
}

/** The measuring path's RESP connection (src/targets/redis/wire): in-flight GETs on one connection go out together. */
export function respDriverTool(url: string, seconds: number): Tool {
  return {
    name: 'client: stackprobe RESP',
    async run() {
      const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => WireConnection.connect(url, { connectMs: 5000, commandMs: 10_000 })));
      try {
        return await getLoops(seconds, (c, k) => getHit(conns[c]!, k));
      } finally {
        await Promise.all(conns.map((c) => c.close()));
      }
    },
  };
}

/** ioredis with enableAutoPipelining: the commands issued in one tick on a connection are written as one pipeline. */
export function ioredisAutoTool(url: string, seconds: number, autoPipelining = true): Tool {
  return {
    name: autoPipelining ? 'client: ioredis autopipelining' : 'client: ioredis',
    async run() {
      const clients = Array.from({ length: CONNECTIONS }, () => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableAutoPipelining: autoPipelining }));
      await Promise.all(clients.map((c) => c.connect()));
      try {
        return await getLoops(seconds, (c, k) => clients[c]!.get(k));
      } finally {
        await Promise.all(clients.map((c) => c.quit()));
      }
    },
  };
}
