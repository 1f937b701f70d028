// Pure: from one stage's attribution figures (pool wait, the load's sessions by wait class, the client's own load,
// Redis), which component gave way first, with the figures that show it and the ones that rule the others out.
import type { ServerCounters, WaitCounts } from '../../resources/pg-waits.js';
import type { WorkerFigures } from './attribution-celery.js';

export type Component = 'client' | 'pool' | 'lock' | 'wal' | 'io' | 'lwlock' | 'cpu' | 'redis' | 'tasks';

/** Everything measured about one stage, as recorded (counters summed over threads; samples from the main thread). */
export interface StageAttributionInput {
  stage: number;
  level: number;
  unit: string;
  /** Requests' wait for a free PostgreSQL session (a new session's connect included), summed over requests, ms. */
  poolWaitMs: number;
  poolAcquired: number;
  poolWaited: number;
  connectMs: number;
  connects: number;
  /** Time of the PostgreSQL steps (pool wait included), summed, ms. */
  pgStepMs: number;
  waits: WaitCounts;
  /** WAL and checkpoint counters over the stage; null when they could not be read. */
  server: ServerCounters | null;
  durationS: number;
  /** Limits stackprobe's own process crossed during the stage (CPU, event loop): empty when it kept up. */
  clientReasons: string[];
  clientCpuPercent: number;
  clientLoopDelayP99Ms: number;
  /** PING p95 on the load's Redis connection, ms; null without Redis. */
  redisPingP95Ms: number | null;
  /** The Celery queue's depth at the stage's first and last reading, and the tasks the stage submitted; null without Celery. */
  taskQueue?: { first: number; last: number; submitted: number } | null;
  /** The workers of the task queue over the stage (attribution-celery.ts), or why they were not sampled; null without tasks. */
  workers?: WorkerFigures | { reason: string } | null;
}

/** Shares of one stage: pool wait of the PostgreSQL step time; the rest of the load's session time (Idle left out). */
export interface StageShares {
  stage: number;
  level: number;
  unit: string;
  poolWaitShare: number;
  /** Session-samples in which a session of the load was busy (not Idle): the denominator of the groups. */
  sessionSamples: number;
  sampleRounds: number;
  groups: Record<'cpu' | 'lock' | 'wal' | 'io' | 'lwlock' | 'client' | 'other', number>;
  /** Classes (`LWLock:WALWrite`, `Lock:transactionid`, `CPU` …) by share of busy session time, largest first (top 8). */
  events: Array<{ event: string; share: number }>;
  /** Relations the lock waits were on, by share of lock-wait samples, largest first (top 5). */
  lockRelations: Array<{ relation: string; share: number }>;
  /** Average connect time of the sessions opened in the stage, ms (null when none was opened). */
  connectMeanMs: number | null;
  server: ServerCounters | null;
  clientReasons: string[];
  clientCpuPercent: number;
  clientLoopDelayP99Ms: number;
  redisPingP95Ms: number | null;
  taskQueue: { first: number; last: number; submitted: number } | null;
  workers: WorkerFigures | { reason: string } | null;
}

/** Busy session-samples a server-side share needs before it names anything (2 s of one busy session at 10 Hz). */
export const MIN_SAMPLES = 20;
/** A group's share of busy session time at or above this names it (and a pool wait share at or above POOL_SHARE). */
export const WAIT_SHARE = 0.3;
export const POOL_SHARE = 0.3;
/** PostgreSQL CPU is named when busy sessions ran (or waited for a CPU) this much of their time. */
export const CPU_SHARE = 0.6;
/** Redis is named when its PING p95 grew this many times over the first stage's and past REDIS_MIN_MS. */
export const REDIS_GROWTH = 10;
export const REDIS_MIN_MS = 5;
/** The task queue is named when it grew by this share of the stage's submissions (and by TASKS_MIN messages). */
export const TASKS_GROWTH = 0.1;
export const TASKS_MIN = 10;
/**
 * The workers are saturated when their pool processes ran tasks this share of the stage (tasks running / processes):
 * all of them, bar the rounds at the stage's start that find a process idle before the backlog builds.
 */
export const WORKERS_BUSY = 0.85;

/** Which group a class belongs to: WAL flush and insertion apart from other I/O and other LWLocks. */
export function groupOf(cls: string): keyof StageShares['groups'] | 'idle' {
  if (cls === 'Idle') return 'idle';
  if (cls === 'CPU') return 'cpu';
  const [type, event = ''] = cls.split(':', 2) as [string, string?];
  if (type === 'Client') return 'client';
  if (type === 'Lock') return 'lock';
  if ((type === 'LWLock' || type === 'IO') && /^WAL/.test(event)) return 'wal';
  if (cls === 'Timeout:CommitDelay') return 'wal';
  if (type === 'IO' || cls === 'LWLock:BufferIO') return 'io';
  if (type === 'LWLock') return 'lwlock';
  return 'other';
}

const top = <T extends string>(counts: Record<string, number>, total: number, n: number, key: T) =>
  Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, c]) => ({ [key]: k, share: total > 0 ? c / total : 0 }) as { [K in T]: string } & { share: number });

export function sharesOf(s: StageAttributionInput): StageShares {
  const groups: StageShares['groups'] = { cpu: 0, lock: 0, wal: 0, io: 0, lwlock: 0, client: 0, other: 0 };
  let busy = 0;
  const busyClasses: Record<string, number> = {};
  for (const [cls, n] of Object.entries(s.waits.byClass)) {
    const g = groupOf(cls);
    if (g === 'idle') continue;
    busy += n;
    groups[g] += n;
    busyClasses[cls] = n;
  }
  for (const g of Object.keys(groups) as Array<keyof typeof groups>) groups[g] = busy > 0 ? groups[g] / busy : 0;
  const lockTotal = Object.values(s.waits.lockRelations).reduce((a, b) => a + b, 0);
  return {
    stage: s.stage, level: s.level, unit: s.unit,
    poolWaitShare: s.pgStepMs > 0 ? Math.min(1, s.poolWaitMs / s.pgStepMs) : 0,
    sessionSamples: busy, sampleRounds: s.waits.rounds, groups,
    events: top(busyClasses, busy, 8, 'event'),
    lockRelations: top(s.waits.lockRelations, lockTotal, 5, 'relation'),
    connectMeanMs: s.connects > 0 ? s.connectMs / s.connects : null,
    server: s.server, clientReasons: s.clientReasons, clientCpuPercent: s.clientCpuPercent, clientLoopDelayP99Ms: s.clientLoopDelayP99Ms,
    redisPingP95Ms: s.redisPingP95Ms, taskQueue: s.taskQueue ?? null, workers: s.workers ?? null,
  };
}

const isFigures = (w: StageShares['workers']): w is WorkerFigures => !!w && !('reason' in w);

/** The workers' part of a stage in words: `busy` when named. */
export function workersWords(w: StageShares['workers']): string {
  if (!w) return '';
  if (!isFigures(w)) return `the workers' utilisation was not sampled (${w.reason})`;
  if (w.consumers === 0) return `no live worker consumed queue ${w.queue}`;
  const of = `${w.consumers} worker${w.consumers === 1 ? '' : 's'} of ${w.concurrency} pool process${w.concurrency === 1 ? '' : 'es'} in all on queue ${w.queue}`;
  if (w.utilisation === null) return `${of}: their running tasks were not read (${w.samples} complete answers)`;
  return `${of} were ${pct(w.utilisation)} busy (on average ${w.meanActive.toFixed(1)} tasks running, at most ${w.peakActive}, over ${w.samples} answers to inspect active)`;
}

/**
 * Celery gave way when its queue grew (by TASKS_MIN messages and TASKS_GROWTH of the stage's submissions) while its
 * workers were saturated, or no worker consumed the queue, or their use could not be read (the growth alone then);
 * a queue that grew beside workers with processes to spare, or busy workers that kept up, rule it out.
 */
export function tasksVerdict(s: StageShares): { named: boolean; why: string } {
  const q = s.taskQueue;
  const w = s.workers;
  if (!q && !w) return { named: false, why: '' };
  const growth = q ? q.last - q.first : 0;
  const grew = !!q && growth >= TASKS_MIN && growth >= TASKS_GROWTH * q.submitted;
  const queueWhy = q ? `the task queue went from ${q.first} to ${q.last} messages while the stage submitted ${q.submitted} tasks` : 'the task queue\'s depth was not sampled';
  const workersWhy = workersWords(w);
  const why = workersWhy ? `${queueWhy}; ${workersWhy}` : queueWhy;
  if (!grew) return { named: false, why };
  const took = `the workers took ${Math.round((1 - growth / Math.max(1, q!.submitted)) * 100)} % of them`;
  if (!isFigures(w) || w.consumers === 0 || w.utilisation === null) return { named: true, why: `${why}: ${took}` };
  if (w.utilisation >= WORKERS_BUSY) return { named: true, why: `the Celery workers were saturated: ${why}: ${took}` };
  return { named: false, why: `${why}: the queue grew, but with pool processes to spare (< ${pct(WORKERS_BUSY)} busy) it is not the workers' capacity (look at prefetch and the broker)` };
}

export interface Attribution {
  /** The stage judged: the first past the limits, else the highest. */
  stage: number;
  level: number;
  unit: string;
  /** True when the stage judged is past the limits (something gave way); false: the highest stage, still within. */
  saturated: boolean;
  /** The first component to give way; null when none stood out. */
  component: Component | null;
  /** The figures that name it, in words. */
  evidence: string;
  /** Each other component with the figure that rules it out. */
  ruledOut: Array<{ component: Component; why: string }>;
  /** What to look at when this component limits you. */
  advice: string;
}

const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const GROUP_NAME: Record<'lock' | 'wal' | 'io' | 'lwlock', string> = {
  lock: 'lock waits', wal: 'WAL flush and insertion', io: 'data-file I/O', lwlock: 'other internal lock (LWLock) waits',
};

export const ADVICE: Record<Component, string> = {
  client: 'The measuring client could not keep up, so these figures understate the system: spread the load (--workers N, or --segment i/n on several machines) or give stackprobe a host of its own.',
  pool: 'Requests queued for a PostgreSQL session while the sessions themselves were not slowed: raise the pool (load.pool_size, your app\'s pool) or hold sessions for less time; check max_connections and a pooler (PgBouncer) first.',
  lock: 'Requests queue on row or table locks: spread the hot rows (per-account counters instead of one total, append-only rows summed later), keep the transactions that hold them short, and take locks in one order.',
  wal: 'Commits wait for WAL to reach storage: faster WAL storage, group commit (commit_delay with commit_siblings), larger wal_buffers, synchronous_commit = off for the transactions that may lose their last moments on a crash, fewer, larger transactions.',
  io: 'Sessions wait for data pages from storage: more shared_buffers or memory for the OS cache, an index that reads fewer pages, faster storage.',
  lwlock: 'Sessions wait on PostgreSQL\'s internal locks: see the named event (e.g. BufferContent: a hot page; LockManager: many relations per transaction; ProcArray: many connections).',
  cpu: 'PostgreSQL sessions were busy on CPU: cheaper statements (EXPLAIN the costliest in pg_stat_statements), fewer calls per request, or more CPU for the server.',
  redis: 'Redis answered slower as the load grew: see its latency (LATENCY DOCTOR), big keys and slow commands (SLOWLOG), and its CPU.',
  tasks: 'The Celery workers did not keep up with the tasks submitted: more workers or concurrency (--concurrency, autoscale), shorter tasks, or a rate limit on the submitters.',
};

function serverWaitWhy(s: StageShares, g: 'lock' | 'wal' | 'io' | 'lwlock'): string {
  return `${pct(s.groups[g])} of the load's PostgreSQL session time waited on ${GROUP_NAME[g]} (< ${pct(WAIT_SHARE)})`;
}

/** The client's lateness explains a stage when it is at least this share of the stage's request p95. */
export const CLIENT_SHARE_OF_P95 = 0.25;

/**
 * Names the first component to give way at `judged`, against the figures of the first stage (`base`). A strained
 * client comes first when its event loop's lateness is a fair part of the stage's p95 (`p95Ms`) or nothing else stood
 * out; a client a little late beside 3 s of lock waits is said, but the lock waits gave first.
 */
export function attribute(judged: StageShares, base: StageShares | undefined, saturated: boolean, p95Ms?: number): Attribution {
  const s = judged;
  const head = { stage: s.stage, level: s.level, unit: s.unit, saturated };
  const at = `at ${s.level} ${s.unit}`;
  const eventsLine = s.events.slice(0, 3).map((e) => `${e.event} ${pct(e.share)}`).join(', ');
  const ruled: Attribution['ruledOut'] = [];
  const clientWhy = `stackprobe kept up (CPU ${s.clientCpuPercent.toFixed(0)} % of a core, event loop p99 ${s.clientLoopDelayP99Ms.toFixed(1)} ms late)`;
  const poolWhy = `requests waited for a PostgreSQL session ${pct(s.poolWaitShare)} of their PostgreSQL time (< ${pct(POOL_SHARE)})`;
  const redisBase = base?.redisPingP95Ms ?? null;
  // The PING shares stackprobe's event loop: its lateness is the client's, not Redis's.
  const redisOwn = s.redisPingP95Ms === null ? 0 : s.redisPingP95Ms - s.clientLoopDelayP99Ms;
  const redisGrew = s.redisPingP95Ms !== null && redisOwn >= REDIS_MIN_MS && redisBase !== null && s.redisPingP95Ms >= REDIS_GROWTH * Math.max(redisBase, 0.05);
  const redisWhy = s.redisPingP95Ms === null ? '' : `Redis PING p95 ${s.redisPingP95Ms.toFixed(2)} ms (first stage ${redisBase?.toFixed(2) ?? '?'} ms)`;

  const tasks = tasksVerdict(s);
  let component: Component | null = null;
  let evidence = '';
  const strained = s.clientReasons.length > 0;
  const clientFirst = `${at} the measuring client gave first: ${s.clientReasons.join('; ')}`;
  if (strained && (p95Ms === undefined || s.clientLoopDelayP99Ms >= CLIENT_SHARE_OF_P95 * p95Ms)) {
    component = 'client';
    evidence = clientFirst;
  } else {
    const enough = s.sessionSamples >= MIN_SAMPLES;
    const waits = (['lock', 'wal', 'io', 'lwlock'] as const).filter((g) => enough && s.groups[g] >= WAIT_SHARE).sort((a, b) => s.groups[b] - s.groups[a]);
    const g = waits[0];
    if (g) {
      component = g;
      const rel = g === 'lock' && s.lockRelations.length ? `, on ${s.lockRelations.map((r) => `${r.relation} (${pct(r.share)})`).join(', ')}` : '';
      evidence = `${at} ${pct(s.groups[g])} of the load's PostgreSQL session time waited on ${GROUP_NAME[g]}${rel} (${eventsLine}); pool wait ${pct(s.poolWaitShare)} of the PostgreSQL time`;
    } else if (s.poolWaitShare >= POOL_SHARE) {
      component = 'pool';
      evidence = `${at} requests spent ${pct(s.poolWaitShare)} of their PostgreSQL time waiting for a free session, while the sessions themselves waited on no lock, WAL or I/O (${eventsLine})`;
    } else if (enough && s.groups.cpu >= CPU_SHARE) {
      component = 'cpu';
      evidence = `${at} the load's busy PostgreSQL sessions were on CPU ${pct(s.groups.cpu)} of their time, with no wait class above ${pct(WAIT_SHARE)}`;
    } else if (redisGrew) {
      component = 'redis';
      evidence = `${at} ${redisWhy}`;
    } else if (tasks.named) {
      component = 'tasks';
      evidence = `${at} ${tasks.why}`;
    }
  }
  if (!component && strained) {
    component = 'client';
    evidence = clientFirst;
  } else if (component && component !== 'client' && strained) {
    evidence += `; stackprobe itself was strained too (${s.clientReasons.join('; ')}), a small part of the stage's p95 of ${p95Ms!.toFixed(0)} ms`;
  }
  if (component !== 'client') {
    ruled.push({ component: 'client', why: strained ? `stackprobe's event loop was late by ${s.clientLoopDelayP99Ms.toFixed(1)} ms at p99, under ${pct(CLIENT_SHARE_OF_P95)} of the stage's p95 of ${p95Ms!.toFixed(0)} ms` : clientWhy });
  }
  if (component !== 'pool') {
    // Sessions held by waits on the server fill the pool too: its wait is then a consequence, not the cause.
    const consequence = component && component !== 'client' && s.poolWaitShare >= POOL_SHARE;
    ruled.push({ component: 'pool', why: consequence ? `requests waited for a session ${pct(s.poolWaitShare)} of their PostgreSQL time, but the sessions were held by the waits above: a larger pool would queue on them instead` : poolWhy });
  }
  for (const g of ['lock', 'wal', 'io', 'lwlock'] as const) if (component !== g) ruled.push({ component: g, why: serverWaitWhy(s, g) });
  if (component !== 'cpu') ruled.push({ component: 'cpu', why: `PostgreSQL CPU ${pct(s.groups.cpu)} of busy session time (< ${pct(CPU_SHARE)})` });
  if (component !== 'redis' && redisWhy) ruled.push({ component: 'redis', why: redisWhy });
  if (component !== 'tasks' && tasks.why) ruled.push({ component: 'tasks', why: tasks.why });
  if (!component) {
    const few = s.sessionSamples < MIN_SAMPLES ? `only ${s.sessionSamples} busy session samples, too few to judge the server; ` : '';
    return { ...head, component: null, evidence: `${at} no component stood out (${few}${eventsLine || 'no busy session sampled'}; pool wait ${pct(s.poolWaitShare)})`, ruledOut: ruled, advice: 'Look at the per-step latencies (load_step_duration) and the host series: the limit may be outside what stackprobe samples (the network, the host).' };
  }
  return { ...head, component, evidence, ruledOut: ruled, advice: ADVICE[component] };
}
