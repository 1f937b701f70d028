// Pure arithmetic of tasks.throughput's verdict: the backlog's trend over the steady phase, the keep-up share, and the
// advice that follows from the workers' settings. No I/O, so it is tested against known inputs.

/** One sample of the backlog: when (ms, performance.now()), messages waiting in the broker, tasks sent and not finished. */
export interface BacklogSample {
  t: number;
  depth: number;
  /** Sent and not yet finished (needs a result backend); undefined without one. */
  outstanding?: number;
}

/** Least-squares slope of value over time, in units per second; null with fewer than 3 samples or no time spread. */
export function slopePerSecond(points: Array<[number, number]>): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? null : (sxy / sxx) * 1000;
}

export interface SteadyFigures {
  /** Tasks per second the schedule offered (sent, failed and dropped alike). */
  offeredPerS: number;
  /** Tasks per second that reached the broker. */
  sentPerS: number;
  /** How fast the backlog (outstanding tasks, or queue depth without a result backend) grew in the later half of the steady phase; negative when it shrank. */
  growthPerS: number | null;
  /** What the backlog's trend is taken from. */
  basis: 'outstanding' | 'queue depth';
  /**
   * Completions per offered task in steady state: (sent rate − backlog growth) / offered rate. Not capped by the send
   * rate: a backlog that shrinks gives more than 1. Null when the steady phase had too few samples to show a trend.
   */
  keepUp: number | null;
  depthStart?: number;
  depthEnd?: number;
}

/**
 * The steady phase's figures from the backlog samples taken between `from` and `to` (performance.now() ms); `offered`
 * and `sent` tasks are per `scheduleMs`, the schedule's length (the rate asked for, not the window's jitter).
 */
export function steadyFigures(samples: BacklogSample[], from: number, to: number, offered: number, sent: number, scheduleMs: number): SteadyFigures {
  const seconds = Math.max(scheduleMs / 1000, 1e-3);
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  const useOutstanding = inside.length > 0 && inside.every((s) => s.outstanding !== undefined);
  // The trend of the later half only: tasks in flight ramp up to rate × latency at the start (long tasks take
  // seconds to), which is not a backlog; a queue the workers cannot keep up with grows in both halves.
  const half = from + (to - from) / 2;
  const points = inside.filter((s) => s.t >= half).map((s): [number, number] => [s.t, useOutstanding ? s.outstanding! : s.depth]);
  const growthPerS = slopePerSecond(points);
  const offeredPerS = offered / seconds;
  const sentPerS = sent / seconds;
  const keepUp = growthPerS === null || offeredPerS === 0 ? null : (sentPerS - growthPerS) / offeredPerS;
  return {
    offeredPerS, sentPerS, growthPerS, basis: useOutstanding ? 'outstanding' : 'queue depth', keepUp,
    ...(inside.length > 0 ? { depthStart: inside[0]!.depth, depthEnd: inside[inside.length - 1]!.depth } : {}),
  };
}

/** What the workers told about themselves (stats and conf), summed over those consuming the probe queue. */
export interface WorkerSettings {
  workers: number;
  /** Sum of pool max-concurrency; 0 when unknown. */
  concurrency: number;
  prefetchMultiplier?: number;
  acksLate?: boolean;
}

export interface AdviceInput extends WorkerSettings {
  offeredPerS: number;
  /** Completions per second while a backlog waited (the workers' capacity); null when not measured. */
  capacityPerS: number | null;
  queue: string;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
/** Below this per task and process, a broker round trip per fetch is a large share of the work: prefetch helps. */
const SHORT_TASK_MS = 50;

/** Concrete changes, each with the figure that calls for it. */
export function keepUpAdvice(a: AdviceInput): string[] {
  const out: string[] = [];
  if (a.capacityPerS !== null && a.capacityPerS > 0 && a.concurrency > 0) {
    const perProcess = a.capacityPerS / a.concurrency;
    // 20 % headroom: a queue run at exactly its capacity grows with every hiccup.
    const needed = Math.ceil((a.offeredPerS / perProcess) * 1.2);
    const perWorker = a.concurrency / Math.max(1, a.workers);
    out.push(`Add worker processes: ${a.concurrency} process(es) completed ${round1(a.capacityPerS)} tasks/s (${round1(perProcess)}/s each); ${round1(a.offeredPerS)}/s needs about ${needed} (raise \`--concurrency\` to ${needed}, or run ${Math.ceil(needed / perWorker)} workers of ${perWorker} processes on "${a.queue}").`);
    const msPerTask = 1000 / perProcess;
    if ((a.prefetchMultiplier ?? 4) <= 1 && msPerTask < SHORT_TASK_MS) {
      out.push(`Raise \`worker_prefetch_multiplier\` (now ${a.prefetchMultiplier ?? 1}): each process spends ${Math.round(msPerTask)} ms per task and fetches the next only after finishing, so short tasks wait a broker round trip each; 4 is Celery's default.`);
    }
  } else {
    out.push(`Add worker processes or workers on "${a.queue}" (\`--concurrency\`).`);
  }
  if (a.acksLate && (a.prefetchMultiplier ?? 4) <= 1) {
    out.push('task_acks_late is on with prefetch multiplier 1: a process reserves its next task only after acknowledging the last, so it idles between tasks; keep acks_late for tasks that must survive a crash, and add processes instead of relying on prefetch.');
  }
  return out;
}
