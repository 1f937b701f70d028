// cache.server: the server's own view, read-only: a window between two INFO samples (hit rate, evictions, commands and
// their latency), clients, persistence, replicas, SLOWLOG by command name, a SCAN sample of TTLs and hot keys, and findings.
import type { RedisClient as Redis } from '../../targets/redis/types.js';
import { sleep } from '../../exec/timeout.js';
import { parseKeyspaceEntry } from '../../targets/redis/info.js';
import { describeError } from '../../util/errors.js';
import type { GaugeDecl } from '../../metrics/declare.js';
import type { MetricRegistry, Tags } from '../../metrics/registry.js';
import type { Check, CheckContext } from '../types.js';
import { redisOf } from './common.js';
import { blockedNote, clientProblems, readClients, type ClientGroup } from './server-clients.js';
import { serverHitRate, serverProblems, type Problem } from './server-findings.js';
import { HOT_KEYS_WITHOUT_LFU, sampleKeys } from './server-keys.js';
import { COMMANDS_RECORDED, SERVER_METRICS as M } from './server-metrics.js';
import { persistenceFacts, persistenceProblems, replicationFacts, replicationProblems } from './server-persistence.js';
import { takeSample, windowDelta, type WindowDelta } from './server-window.js';
import { runClusterServer } from './server-cluster.js';

export interface SlowlogSummary {
  command: string;
  count: number;
  total_ms: number;
  max_ms: number;
}

/** SLOWLOG entries grouped by command name; arguments (key names, values) are dropped on the spot. */
export function summariseSlowlog(entries: unknown[]): SlowlogSummary[] {
  const by = new Map<string, SlowlogSummary>();
  for (const e of entries) {
    if (!Array.isArray(e)) continue;
    const micros = Number(e[2]) || 0;
    const args: unknown = e[3];
    const command = Array.isArray(args) && typeof args[0] === 'string' ? args[0].toUpperCase() : 'UNKNOWN';
    const s = by.get(command) ?? { command, count: 0, total_ms: 0, max_ms: 0 };
    s.count++;
    s.total_ms += micros / 1000;
    s.max_ms = Math.max(s.max_ms, micros / 1000);
    by.set(command, s);
  }
  return [...by.values()].sort((a, b) => b.total_ms - a.total_ms);
}

const MB = 1024 * 1024;

/**
 * The window's length: configured, or by mode (the check waits it out, reading nothing in between). On stackprobe's own
 * private redis-server (no REDIS_URL) it is a tenth of a second in either mode: that server has no client but
 * stackprobe, which sends nothing between the two samples, so its window can only count nothing, and it counts that
 * as well in 0.1 s as in 10 (0.9 s less in a quick run, 9.9 s in a full one). Every other figure of the check is read
 * from the samples themselves, whatever the window's length.
 */
export function windowMs(ctx: CheckContext): number {
  const configured = ctx.config.cache.server.window_s;
  if (configured !== undefined) return configured * 1000;
  if (redisOf(ctx).facts.private) return PRIVATE_WINDOW_MS;
  return (ctx.mode === 'full' ? 10 : 1) * 1000;
}
export const PRIVATE_WINDOW_MS = 100;

/** Sets a gauge when the server gave the figure (one it did not give is left out, not recorded as 0). */
function setGauge(m: MetricRegistry, d: GaugeDecl, value: number | undefined, tags: Tags = {}): void {
  if (value !== undefined && Number.isFinite(value)) m.gauge(d, tags).set(value);
}

function recordGauges(ctx: CheckContext, info: Record<string, string>, w: WindowDelta): void {
  const m = ctx.metrics;
  const n = (k: string) => (info[k] === undefined ? undefined : Number(info[k]));
  const toMb = (v: number | undefined) => (v === undefined ? undefined : v / MB);
  setGauge(m, M.usedMemory, toMb(n('used_memory')));
  setGauge(m, M.maxmemory, toMb(n('maxmemory')));
  setGauge(m, M.fragmentation, n('mem_fragmentation_ratio'));
  setGauge(m, M.connectedClients, n('connected_clients'));
  setGauge(m, M.blockedClients, n('blocked_clients'));
  setGauge(m, M.evictedTotal, n('evicted_keys'));
  setGauge(m, M.expiredTotal, n('expired_keys'));
  setGauge(m, M.hitRateTotal, serverHitRate(info)?.rate);
  const fork = n('latest_fork_usec');
  setGauge(m, M.latestFork, fork === undefined ? undefined : fork / 1000);
  if (w.reset) return;
  setGauge(m, M.windowHitRate, w.hitRate);
  setGauge(m, M.windowLookups, w.hits + w.misses);
  setGauge(m, M.windowEvicted, w.evicted);
  setGauge(m, M.windowExpired, w.expired);
  setGauge(m, M.windowCommands, w.commandsPerS);
  for (const c of w.byCommand.slice(0, COMMANDS_RECORDED)) {
    if (c.calls > 0) setGauge(m, M.commandMs, c.ms_per_call, { command: c.command });
    setGauge(m, M.commandP99, c.p99_ms_at_most, { command: c.command });
  }
}

function infoFacts(info: Record<string, string>): Record<string, unknown> {
  const keyspace = Object.fromEntries(Object.entries(info).filter(([k]) => /^db\d+$/.test(k)).map(([k, v]) => [k, parseKeyspaceEntry(v)]));
  return {
    version: info.redis_version, mode: info.redis_mode, role: info.role, uptime_s: Number(info.uptime_in_seconds),
    connected_clients: Number(info.connected_clients), blocked_clients: Number(info.blocked_clients ?? 0), used_memory_human: info.used_memory_human,
    maxmemory: Number(info.maxmemory ?? 0), maxmemory_policy: info.maxmemory_policy, mem_fragmentation_ratio: Number(info.mem_fragmentation_ratio),
    client_recent_max_output_buffer: Number(info.client_recent_max_output_buffer ?? 0),
    since_reset: { keyspace_hits: Number(info.keyspace_hits), keyspace_misses: Number(info.keyspace_misses), evicted_keys: Number(info.evicted_keys), expired_keys: Number(info.expired_keys) },
    // Kept at the top level too: earlier run.json readers find the cumulative counters there.
    keyspace_hits: Number(info.keyspace_hits), keyspace_misses: Number(info.keyspace_misses), evicted_keys: Number(info.evicted_keys), expired_keys: Number(info.expired_keys),
    keyspace,
  };
}

function windowFacts(w: WindowDelta, histogramError: string | undefined): Record<string, unknown> {
  if (w.reset) return { seconds: w.seconds, reset: 'a counter went backwards (CONFIG RESETSTAT or a restart) inside the window: no delta is shown' };
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    seconds: w.seconds, lookups: w.hits + w.misses, hits: w.hits, misses: w.misses, hit_rate: w.hitRate === undefined ? null : round(w.hitRate),
    evicted_keys: w.evicted, expired_keys: w.expired, commands: w.commands, commands_per_s: w.commandsPerS,
    commands_by_time: w.byCommand.slice(0, 20),
    ...(histogramError ? { latency_histogram: `unavailable: ${histogramError}` } : {}),
  };
}

async function slowlog(ctx: CheckContext, client: Redis): Promise<void> {
  try {
    ctx.info('slowlog', summariseSlowlog((await client.call('SLOWLOG', 'GET', '128')) as unknown[]));
  } catch (err) {
    // Managed services often rename or forbid SLOWLOG: that is a fact to show, not a failure.
    ctx.info('slowlog', `unavailable: ${describeError(err)}`);
  }
}

async function clients(ctx: CheckContext, client: Redis, info: Record<string, string>): Promise<ClientGroup[]> {
  try {
    const read = await readClients(client, info, ctx.config.cache, redisOf(ctx).timeouts.commandMs + 500);
    if ('skipped' in read) {
      ctx.info('clients', read.skipped);
      return [];
    }
    ctx.info('clients', read.groups.slice(0, 50));
    return read.groups;
  } catch (err) {
    ctx.info('clients', `unavailable: ${describeError(err)}`);
    return [];
  }
}

/** Counts each problem by kind (zero recorded too, so the threshold has a value to pass on) and reports its finding. */
function reportProblems(ctx: CheckContext, problems: Problem[]): void {
  ctx.metrics.counter(M.problems);
  for (const p of problems) {
    ctx.metrics.counter(M.problems, { problem: p.problem }).add();
    ctx.finding({ ...p.finding, subject: p.finding.subject ?? p.problem });
  }
}

/** A Redis Cluster: every master over the window, its slots and figures, and the cluster's totals (./server-cluster.ts). */
async function runOnCluster(ctx: CheckContext): Promise<void> {
  const cluster = redisOf(ctx).cluster!;
  const { problems, hitRate, lookups } = await runClusterServer(ctx, cluster, windowMs(ctx));
  reportProblems(ctx, problems);
  if (hitRate !== undefined && lookups >= ctx.config.cache.min_lookups) ctx.rate('hit_rate', M.windowHitRate.name, hitRate);
}

export const cacheServerCheck: Check = {
  id: 'cache.server',
  category: 'cache',
  title: 'Redis server: memory, traffic over a window, clients, persistence, replicas, slowlog',
  needs: ['redis'],
  typicalQuickMs: 200,
  metrics: Object.values(M),
  thresholds: () => ({ cache_server_problems: [{ warn: 'count==0' }] }),
  async run(ctx) {
    const cfg = ctx.config.cache;
    const m = ctx.metrics;
    m.headline(M.problems.name);
    if (redisOf(ctx).cluster) return runOnCluster(ctx);
    const client = redisOf(ctx).client;
    const timeoutMs = redisOf(ctx).timeouts.commandMs + 500;
    ctx.progress('reading INFO over a window');
    const before = await takeSample(client, timeoutMs);
    // Nothing is sent between the two samples, so the window's commands are the other clients' traffic.
    await sleep(windowMs(ctx), ctx.signal);
    const after = await takeSample(client, timeoutMs);
    const window = windowDelta(before, after);
    const info = after.info;
    ctx.info('server', infoFacts(info));
    ctx.info('window', windowFacts(window, after.histogramError));
    ctx.info('persistence', persistenceFacts(info));
    ctx.info('replication', replicationFacts(info));
    recordGauges(ctx, info, window);
    for (const r of replicationFacts(info).replicas) setGauge(m, M.replicaLagBytes, r.lag_bytes, { replica: r.id });
    await slowlog(ctx, client);
    const groups = await clients(ctx, client, info);
    const buffers = groups.filter((g) => g.replicas === 0).map((g) => g.output_buffer_max_mb);
    if (buffers.length) setGauge(m, M.outputBufferMax, Math.max(...buffers));

    ctx.progress('sampling keys with SCAN');
    const lfu = /lfu/.test(info.maxmemory_policy ?? '');
    const sample = await sampleKeys(client, { max: cfg.scan_sample_keys, ms: cfg.scan_time_ms, ...(lfu ? { lfuTop: cfg.server.hot_keys } : {}) }, ctx.signal);
    setGauge(m, M.keysSampled, sample.sampled);
    if (sample.sampled > 0) setGauge(m, M.noTtlShare, sample.withoutTtl / sample.sampled);
    ctx.info('hot_keys', sample.hot ?? HOT_KEYS_WITHOUT_LFU);

    reportProblems(ctx, [
      ...serverProblems({ info, window, ...sample }, cfg, ctx.config.thresholds.cache_hit_rate),
      ...clientProblems(groups, cfg), ...persistenceProblems(info, cfg), ...replicationProblems(info, cfg),
    ]);
    const blocked = blockedNote(groups);
    if (blocked) ctx.finding({ ...blocked, subject: 'blocked_clients' });
    // Rated on the window's lookups when there are enough of them, else on the counters since the reset.
    const windowLookups = window.hits + window.misses;
    const hr = !window.reset && window.hitRate !== undefined && windowLookups >= cfg.min_lookups ? window.hitRate : serverHitRate(info)?.rate;
    if (hr !== undefined) ctx.rate('hit_rate', !window.reset && windowLookups >= cfg.min_lookups ? M.windowHitRate.name : M.hitRateTotal.name, hr);
  },
};
