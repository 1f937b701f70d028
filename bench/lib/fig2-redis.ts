// Figure 2: the cache checks as users run them vs redis-benchmark on the same private server: throughput at 50 in
// flight, at 50 in flight × 16-deep pipelines, and GET p50 at 8 in flight; alternating rounds, medians, load averages.
import { cacheConcurrencyCheck, cacheLatencyCheck } from '../../src/checks/cache/index.js';
import { SET_SHARE } from '../../src/checks/cache/concurrency.js';
import { WireConnection } from '../../src/targets/redis/wire/connection.js';
import { median } from './stats.js';
import { findTool } from './proc.js';
import { startPrivateRedis } from './private-redis.js';
import {
  checkTool, concurrencyFigure, CONNECTIONS, DEPTH, executorIoredisTool, IN_FLIGHT, ioredisAutoTool, KEY_SPACE, latencyFigure, redisBenchmarkTool, respDriverTool, VALUE, type Sides,
} from './redis-tools.js';
import { roundRatio, runRounds, summarise, type Measurement, type ToolSummary } from './rounds.js';
import { formatNumber } from './table.js';
import type { BenchOptions, Row } from './types.js';

const PIPELINE = 16;
/** The pipelined rows: 50 operations in flight, each a pipeline of PIPELINE SETs. */
const PIPE_IN_FLIGHT = 50;
const CLIENT_CMD: Record<string, string> = {
  'client: stackprobe RESP': `bench/lib/redis-tools.ts: ${IN_FLIGHT} async loops over ${CONNECTIONS} WireConnections (src/targets/redis/wire), each awaiting getHit(key)`,
  'client: ioredis autopipelining': `bench/lib/redis-tools.ts: ${IN_FLIGHT} async loops over ${CONNECTIONS} ioredis clients with enableAutoPipelining, each awaiting get(key)`,
  'before: executor-ioredis': `history: runClosedLoop, ${IN_FLIGHT} VUs over ${CONNECTIONS} ioredis connections without autopipelining (the former cache path)`,
};
const LATENCY_IN_FLIGHT = 8;
/** The TTL of the checks' SETs (config.cache.ttl_s's default), sent by redis-benchmark too in the pipelined rows. */
const TTL_S = 300;

/** redis-benchmark's keys (`key:` + 12 digits, -r 100000), so its GETs read values as the checks' do. */
async function populate(url: string): Promise<void> {
  const c = await WireConnection.connect(url, { connectMs: 5000, commandMs: 10_000 });
  try {
    for (let start = 0; start < KEY_SPACE; start += 1000) {
      const args = ['MSET'];
      for (let i = start; i < Math.min(KEY_SPACE, start + 1000); i++) args.push(`key:${String(i).padStart(12, '0')}`, VALUE);
      await c.call(args);
    }
  } finally {
    await c.close();
  }
}

const loads = (...sides: Sides[]) => sides.flatMap((s) => s.load1).map((l) => Math.round(l * 100) / 100);
const p50 = (s: Sides) => median(s.p50Ms);

/** A ratio row of `ours` against `base` (median of per-round ratios), with its target when it has one. */
function ratioRow(label: string, ours: ToolSummary, base: ToolSummary, command: string, sides: Sides[], target?: number): Row {
  const value = roundRatio(ours, base);
  const row: Row = {
    figure: 2, measure: label.includes(' / ') ? label : `${label} / redis-benchmark`, value, unit: '×', command,
    note: `${formatNumber(ours.opsPerSecond)} vs ${formatNumber(base.opsPerSecond)} ops/s; load avg ${loads(...sides).join(', ')}`,
    detail: { rounds: ours.rounds, base: base.rounds, load1: loads(...sides), missedThresholds: sides.flatMap((s) => s.missed) },
  };
  const missed = sides.flatMap((s) => s.missed);
  if (missed.length > 0) row.note = `${row.note}; the check missed ${missed.length} threshold(s) in its rounds (detail.missedThresholds)`;
  if (target !== undefined) Object.assign(row, { target: `≥ ${target}×`, met: value >= target });
  return row;
}

/**
 * redis-benchmark's rate for the check's mix, round by round: it runs one command per run, so the mix's time per command
 * is the GETs' and the SETs' times weighted by their shares (1 / (0.8 / GET rate + 0.2 / SET rate)).
 */
export function mixOf(get: ToolSummary, set: ToolSummary, setShare: number): ToolSummary {
  const rounds: Measurement[] = get.rounds.map((g, i) => {
    const s = set.rounds[i]!;
    const secondsPerOp = (1 - setShare) * (g.seconds / g.ops) + setShare * (s.seconds / s.ops);
    return { ops: g.ops, seconds: g.ops * secondsPerOp, cpuSeconds: (1 - setShare) * g.cpuSeconds + setShare * s.cpuSeconds * (g.ops / s.ops) };
  });
  return summarise(`redis-benchmark GET/SET … EX ${Math.round((1 - setShare) * 100)}/${Math.round(setShare * 100)}`, rounds);
}

export async function figureRedis(opts: BenchOptions): Promise<Row[]> {
  const bench = findTool('redis-benchmark');
  const server = findTool('redis-server');
  if (!bench || !server) throw new Error('redis-benchmark or redis-server not found on PATH: install Debian redis-tools and redis-server');
  // Medians of 5 alternating rounds: the like-for-like and p50 rows are goals of issue 34.
  const rounds = opts.quick ? 1 : 5;
  const seconds = opts.quick ? 2 : 5;
  const redis = await startPrivateRedis(server);
  const rows: Row[] = [];
  const log = (fig: string) => (t: string, m: { ops: number; seconds: number }) => opts.log(`fig 2 ${fig}: ${t}: ${formatNumber(m.ops / m.seconds)} ops/s`);
  const cache = { key_space: KEY_SPACE, value_bytes: VALUE.length };
  try {
    await populate(redis.url);

    // 48 in flight, like for like: cache.concurrency at its default 4 connections carries 12 in flight on each, against
    // redis-benchmark on the same 4 connections 12 deep (-c 4 -P 12); and with one connection per operation against
    // -c 48. The two clients side by side: the measuring path's RESP connection and ioredis with enableAutoPipelining,
    // each 48 loops of GETs over 4 connections, with their client CPU per GET.
    const rbLike = redisBenchmarkTool(bench, redis.port, { test: 'GET', clients: CONNECTIONS, pipeline: DEPTH, requests: seconds * 300_000, name: `redis-benchmark -c ${CONNECTIONS} -P ${DEPTH}` });
    const rbGet = redisBenchmarkTool(bench, redis.port, { test: 'GET', clients: IN_FLIGHT, pipeline: 1, requests: seconds * 100_000, name: `redis-benchmark -c ${IN_FLIGHT}` });
    // The check sends 20 % SET … EX, more work for the server than a GET: redis-benchmark's SET with the same TTL on the
    // same connections and depth, for the mix's rate beside the GET-only one.
    const rbLikeSet = redisBenchmarkTool(bench, redis.port, {
      test: 'SET', clients: CONNECTIONS, pipeline: DEPTH, requests: seconds * 200_000, name: `redis-benchmark -c ${CONNECTIONS} -P ${DEPTH} SET … EX`, command: ['SET', 'key:__rand_int__', VALUE, 'EX', String(TTL_S)],
    });
    const conc = (connections: number) => checkTool(`cache.concurrency ${connections} conns`, redis.url, cacheConcurrencyCheck,
      { cache: { ...cache, concurrency_levels: [IN_FLIGHT], connections, step_duration_s: seconds } }, concurrencyFigure(IN_FLIGHT, seconds));
    const conc4 = conc(CONNECTIONS);
    const concAll = conc(IN_FLIGHT);
    const resp = respDriverTool(redis.url, seconds);
    const auto = ioredisAutoTool(redis.url, seconds);
    const before = executorIoredisTool(redis.url, 'GET', 1, seconds);
    const a = await runRounds([rbLike, rbLikeSet, rbGet, conc4, concAll, resp, auto, before], rounds, log(`${IN_FLIGHT} in flight`));
    const bLike = a.get(rbLike.name)!;
    const b = a.get(rbGet.name)!;
    const concCmd = `runCheck(cache.concurrency), concurrency_levels [${IN_FLIGHT}], value_bytes 3, key_space 100000 (80 % GET, 20 % SET … EX)`;
    for (const tool of [rbLike, rbLikeSet, rbGet]) {
      const base = a.get(tool.name)!;
      const what = tool === rbLikeSet ? 'SET … EX' : 'GET';
      rows.push({ figure: 2, measure: `${what} ${IN_FLIGHT} in flight: ${base.name} ops/s`, value: base.opsPerSecond, unit: 'ops/s', note: `client CPU ${formatNumber(base.cpuMicros)} µs/op`, command: tool.command, detail: { rounds: base.rounds } });
    }
    rows.push(ratioRow(`cache.concurrency ${IN_FLIGHT} in flight on ${CONNECTIONS} connections × ${DEPTH} deep (the default) / redis-benchmark -c ${CONNECTIONS} -P ${DEPTH}`, a.get(conc4.name)!, bLike, `${concCmd}, cache.connections ${CONNECTIONS}`, [rbLike.sides, conc4.sides], 1.0));
    const mix = mixOf(bLike, a.get(rbLikeSet.name)!, SET_SHARE);
    rows.push(ratioRow(`cache.concurrency ${IN_FLIGHT} in flight on ${CONNECTIONS} connections × ${DEPTH} deep / redis-benchmark -c ${CONNECTIONS} -P ${DEPTH}, the same mix`, a.get(conc4.name)!, mix,
      `${concCmd}, cache.connections ${CONNECTIONS}, against ${mix.name}: ${rbLike.command} and ${rbLikeSet.command}, weighted per round`, [rbLike.sides, rbLikeSet.sides, conc4.sides]));
    rows.push(ratioRow(`cache.concurrency ${IN_FLIGHT} in flight on ${IN_FLIGHT} connections × 1 / redis-benchmark -c ${IN_FLIGHT}`, a.get(concAll.name)!, b, `${concCmd}, cache.connections ${IN_FLIGHT}: one connection per operation`, [rbGet.sides, concAll.sides]));
    rows.push(ratioRow(`history: cache.concurrency ${CONNECTIONS} connections / redis-benchmark -c ${IN_FLIGHT} (the comparison before, unlike)`, a.get(conc4.name)!, b, `${concCmd}, cache.connections ${CONNECTIONS}, against ${rbGet.command}`, [rbGet.sides, conc4.sides]));
    for (const client of [resp, auto, before]) {
      const s = a.get(client.name)!;
      const row = ratioRow(`${client.name}, GET ${IN_FLIGHT} in flight on ${CONNECTIONS} connections / redis-benchmark -c ${CONNECTIONS} -P ${DEPTH}`, s, bLike, CLIENT_CMD[client.name]!, [rbLike.sides]);
      row.note = `${row.note}; client CPU ${formatNumber(s.cpuMicros)} vs ${formatNumber(bLike.cpuMicros)} µs/GET (user ${formatNumber(s.userMicros)} vs ${formatNumber(bLike.userMicros)})`;
      rows.push(row);
    }

    // 50 in flight × 16: cache.latency's pipeline operation (16 SET … EX per pipeline) vs redis-benchmark -P 16 sending
    // the same command (SET with the check's TTL), and, for the record, its plain -t set (no TTL: about a third less
    // work for the server per SET on this machine).
    const rbPipe = redisBenchmarkTool(bench, redis.port, {
      test: 'SET', clients: PIPE_IN_FLIGHT, pipeline: PIPELINE, requests: seconds * 500_000, name: 'redis-benchmark-setex', command: ['SET', 'key:__rand_int__', VALUE, 'EX', String(TTL_S)],
    });
    const rbPlain = redisBenchmarkTool(bench, redis.port, { test: 'SET', clients: PIPE_IN_FLIGHT, pipeline: PIPELINE, requests: seconds * 800_000 });
    const pipe = checkTool('cache.latency pipeline', redis.url, cacheLatencyCheck,
      { cache: { ...cache, concurrency: PIPE_IN_FLIGHT, batch_size: PIPELINE, duration_s: seconds, ttl_s: TTL_S } }, latencyFigure('pipeline', PIPELINE, seconds));
    const beforePipe = executorIoredisTool(redis.url, 'SET', PIPELINE, seconds, PIPE_IN_FLIGHT);
    const p = await runRounds([rbPipe, rbPlain, pipe, beforePipe], rounds, log('pipelined'));
    const bp = p.get(rbPipe.name)!;
    const plain = p.get(rbPlain.name)!;
    rows.push({ figure: 2, measure: `SET … EX ${PIPE_IN_FLIGHT} in flight × P${PIPELINE}: redis-benchmark ops/s`, value: bp.opsPerSecond, unit: 'ops/s', note: `client CPU ${formatNumber(bp.cpuMicros)} µs/op`, command: rbPipe.command, detail: { rounds: bp.rounds } });
    rows.push({ figure: 2, measure: `SET (no TTL) ${PIPE_IN_FLIGHT} in flight × P${PIPELINE}: redis-benchmark ops/s`, value: plain.opsPerSecond, unit: 'ops/s', note: `client CPU ${formatNumber(plain.cpuMicros)} µs/op`, command: rbPlain.command, detail: { rounds: plain.rounds } });
    rows.push(ratioRow(`cache.latency pipeline, ${PIPE_IN_FLIGHT} in flight × ${PIPELINE} (${CONNECTIONS} connections)`, p.get(pipe.name)!, bp, `runCheck(cache.latency), concurrency 50, batch_size 16, value_bytes 3, ttl_s ${TTL_S}: commands/s of its pipeline operation, against the same SET … EX`, [rbPipe.sides, pipe.sides], 0.8));
    rows.push(ratioRow(`cache.latency pipeline against plain SET (no TTL)`, p.get(pipe.name)!, plain, 'the row above against redis-benchmark -t set: no TTL on its side', [rbPlain.sides, pipe.sides]));
    rows.push(ratioRow(`history: SET ${PIPE_IN_FLIGHT} in flight × P${PIPELINE}, ioredis pipeline() (before)`, p.get(beforePipe.name)!, bp, 'runClosedLoop, an ioredis pipeline() of 16 per iteration', [rbPipe.sides]));

    // GET p50 at 8 in flight: cache.latency as configured by default vs redis-benchmark -c 8, with the PING beside it.
    const rbLat = redisBenchmarkTool(bench, redis.port, { test: 'GET', clients: LATENCY_IN_FLIGHT, pipeline: 1, requests: seconds * 50_000 });
    const lat = checkTool('cache.latency get', redis.url, cacheLatencyCheck, { cache: { ...cache, concurrency: LATENCY_IN_FLIGHT, duration_s: seconds } }, latencyFigure('get', 1, seconds));
    await runRounds([rbLat, lat], rounds, log('p50 at 8'));
    const perRound = lat.sides.p50Ms.map((v, i) => v / rbLat.sides.p50Ms[i]!);
    const ratio = median(perRound);
    rows.push({
      figure: 2, measure: `cache.latency GET p50 at ${LATENCY_IN_FLIGHT} in flight / redis-benchmark -c ${LATENCY_IN_FLIGHT} p50`, value: ratio, unit: '×', target: '≤ 1.0×', met: ratio <= 1.0,
      note: `${p50(lat.sides).toFixed(3)} vs ${p50(rbLat.sides).toFixed(3)} ms; PING beside it ${median(lat.sides.pingP50Ms).toFixed(3)} ms; load avg ${loads(rbLat.sides, lat.sides).join(', ')}`,
      command: `runCheck(cache.latency), concurrency 8, 4 connections vs ${rbLat.command}`,
      detail: { ours: lat.sides, redisBenchmark: rbLat.sides, perRound },
    });
  } finally {
    await redis.stop();
  }
  return rows;
}
