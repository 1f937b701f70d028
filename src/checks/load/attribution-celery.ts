// The Celery side of attribution: while a stage drives tasks, how busy the workers that consume the load's task queue
// were (tasks running / pool processes, from the workers' own `active` and `stats` replies), so the judge can tell
// saturated workers from a queue nobody takes. Under --read-only the workers are not asked: the broadcasts write.
import type { CeleryTarget } from '../../targets/celery/target.js';
import { describeError } from '../../util/errors.js';

/** How often the workers are asked for their running tasks during a stage. */
export const ACTIVE_SAMPLE_MS = 250;

/** The workers of the load's queue over one stage. */
export interface WorkerFigures {
  queue: string;
  /** Live workers that consume the queue (active_queues), and their pool processes added up (stats max-concurrency). */
  consumers: number;
  concurrency: number;
  /** Rounds in which every consumer answered `active`. */
  samples: number;
  /** Tasks running, averaged over the rounds, and the most seen in one round. */
  meanActive: number;
  peakActive: number;
  /** meanActive / concurrency; null when the concurrency or the samples are unknown. */
  utilisation: number | null;
}

export interface CeleryStageSampler {
  beginStage(): Promise<void>;
  /** The stage's figures, or why there are none. */
  endStage(): Promise<WorkerFigures | { reason: string }>;
  stop(): void;
}

export const READ_ONLY_REASON = '--read-only: the workers\' running tasks and pool sizes come from the inspect broadcasts `active` and `stats`, which write a control message and a reply queue to the broker; only the queue\'s depth (read without a write) was sampled';

interface Consumers { names: string[]; concurrency: number }

const replyList = (reply: unknown): unknown[] => (Array.isArray(reply) ? reply : []);

/** Live workers consuming `queue` and their pool processes; asked once, before the first stage. */
async function findConsumers(celery: CeleryTarget, queue: string, timeoutMs: number, signal: AbortSignal): Promise<Consumers> {
  const names: string[] = [];
  for (const r of await celery.control('active_queues', {}, { timeoutMs, signal })) {
    if (replyList(r.reply).some((q) => (q as { name?: unknown }).name === queue)) names.push(r.worker);
  }
  if (names.length === 0) return { names, concurrency: 0 };
  let concurrency = 0;
  for (const r of await celery.control('stats', {}, { timeoutMs, signal, destination: names, limit: names.length })) {
    const max = (r.reply as { pool?: { 'max-concurrency'?: unknown } } | null)?.pool?.['max-concurrency'];
    if (typeof max === 'number') concurrency += max;
  }
  return { names, concurrency };
}

/**
 * Samples the workers of `queue` during each stage. `celery` undefined or `readOnly`: every stage ends with the reason.
 * A failed broadcast ends that stage's sampling with its error, never the load.
 */
export function startCelerySampler(celery: CeleryTarget | undefined, o: { queue: string; readOnly: boolean; timeoutMs: number; signal: AbortSignal }): CeleryStageSampler {
  let consumers: Promise<Consumers> | undefined;
  let round: { active: number[]; error?: string; timer?: NodeJS.Timeout; inFlight?: Promise<void>; stopped: boolean } | undefined;
  const unavailable = !celery ? 'Celery is not configured' : o.readOnly ? READ_ONLY_REASON : undefined;
  const sampleOnce = async (r: NonNullable<typeof round>, c: Consumers) => {
    try {
      const replies = await celery!.control('active', {}, { timeoutMs: o.timeoutMs, signal: o.signal, destination: c.names, limit: c.names.length });
      // A round some consumer missed would read as idle processes: only complete rounds count.
      if (replies.length >= c.names.length) r.active.push(replies.reduce((n, x) => n + replyList(x.reply).length, 0));
    } catch (err) {
      r.error ??= describeError(err);
      r.stopped = true;
    }
  };
  const loop = (r: NonNullable<typeof round>, c: Consumers) => {
    if (r.stopped || o.signal.aborted) return;
    r.inFlight = sampleOnce(r, c).then(() => {
      if (!r.stopped) r.timer = setTimeout(() => loop(r, c), ACTIVE_SAMPLE_MS);
    });
  };
  return {
    async beginStage() {
      if (unavailable) return;
      consumers ??= findConsumers(celery!, o.queue, o.timeoutMs, o.signal);
      const r: NonNullable<typeof round> = { active: [], stopped: false };
      round = r;
      try {
        const c = await consumers;
        if (c.names.length > 0) loop(r, c);
      } catch (err) {
        r.error = `the workers did not say which queues they consume (${describeError(err)})`;
      }
    },
    async endStage() {
      if (unavailable) return { reason: unavailable };
      const r = round;
      round = undefined;
      if (!r) return { reason: 'the stage was not sampled' };
      r.stopped = true;
      clearTimeout(r.timer);
      await r.inFlight;
      if (r.error) return { reason: `asking the workers failed: ${r.error}` };
      const c = await consumers!;
      const samples = r.active.length;
      const meanActive = samples > 0 ? r.active.reduce((a, b) => a + b, 0) / samples : 0;
      return {
        queue: o.queue, consumers: c.names.length, concurrency: c.concurrency, samples, meanActive,
        peakActive: samples > 0 ? Math.max(...r.active) : 0,
        utilisation: samples > 0 && c.concurrency > 0 ? Math.min(1, meanActive / c.concurrency) : null,
      };
    },
    stop() {
      if (!round) return;
      round.stopped = true;
      clearTimeout(round.timer);
    },
  };
}
