// Opens every service the config names (or a private stand-in), and says why any is unavailable.
import type { Need, Targets } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import type { TargetFacts } from '../result/model.js';
import { openCelery } from '../targets/celery/open.js';
import type { Opened } from '../targets/opened.js';
import { openPostgres } from '../targets/pg/open.js';
import { openRedis } from '../targets/redis/open.js';
import type { Logger } from '../util/logger.js';

export interface OpenTargets {
  targets: Targets;
  /** Why each missing need is missing, e.g. `REDIS_URL not set`. */
  unavailable: Partial<Record<Need, string>>;
  /** Needs that were configured (or started) but could not be reached: their checks fail rather than skip. */
  broken: Set<Need>;
  facts: Record<string, TargetFacts>;
  close(): Promise<void>;
}

type Opener = (config: Config, log: Logger, onProgress: (text: string) => void) => Promise<Opened<unknown>>;

const OPENERS: Array<[Exclude<Need, 'bullmq'>, Opener]> = [
  ['pg', openPostgres],
  ['redis', openRedis],
  ['celery', openCelery],
];

/**
 * How long an abandoned opener (Ctrl-C while connecting) is awaited so what it started can still be stopped. A private
 * server still starting after that is stopped by the next run's reaper (its directory names its dead owner).
 */
const LATE_OPEN_MS = 2000;

/**
 * Opens one target unless the signal aborts first. On abort the opener is not waited for: what it opens later (a
 * private server, a connection) is closed as soon as it arrives, within LATE_OPEN_MS.
 */
async function openOrAbort(open: () => Promise<Opened<unknown>>, signal: AbortSignal, late: Array<Promise<void>>): Promise<Opened<unknown>> {
  const pending = open();
  if (signal.aborted) {
    late.push(closeLate(pending));
    return { reason: 'interrupted while connecting' };
  }
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([pending, aborted]);
    if (first !== 'aborted') return first;
    late.push(closeLate(pending));
    return { reason: 'interrupted while connecting' };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function closeLate(pending: Promise<Opened<unknown>>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LATE_OPEN_MS)));
  try {
    const opened = await Promise.race([pending, gaveUp]);
    await opened?.close?.();
  } finally {
    clearTimeout(timer);
  }
}

const SERVICE_NAMES: Record<Need, string> = { pg: 'PostgreSQL', redis: 'Redis', celery: 'Celery', bullmq: 'BullMQ' };

/** How a service is named to people: `PostgreSQL`, not `pg`. */
export function serviceName(need: Need): string {
  return SERVICE_NAMES[need];
}

/** The services these checks cannot run without (not those they merely use when configured). */
export function requiredServices(checks: Array<{ needs: Need[] }>): Set<Exclude<Need, 'bullmq'>> {
  return neededServices(checks.map((c) => ({ needs: c.needs })));
}

/** The services these checks need or use (BullMQ lives on Redis); nothing else is opened or started. */
export function neededServices(checks: Array<{ needs: Need[]; uses?: Need[] }>): Set<Exclude<Need, 'bullmq'>> {
  const out = new Set<Exclude<Need, 'bullmq'>>();
  for (const c of checks) for (const n of [...c.needs, ...(c.uses ?? [])]) out.add(n === 'bullmq' ? 'redis' : n);
  return out;
}

export async function openTargets(
  config: Config,
  log: Logger,
  onProgress: (text: string) => void,
  opts: { needs?: Set<Exclude<Need, 'bullmq'>>; required?: Set<Exclude<Need, 'bullmq'>>; signal?: AbortSignal } = {},
): Promise<OpenTargets> {
  const targets: Record<string, unknown> = {};
  const unavailable: Partial<Record<Need, string>> = {};
  const broken = new Set<Need>();
  const facts: Record<string, TargetFacts> = {};
  const closers: Array<() => Promise<void>> = [];
  const late: Array<Promise<void>> = [];
  const signal = opts.signal ?? new AbortController().signal;
  // One at a time: a private server's start-up is CPU-bound, and the order of progress lines stays readable.
  for (const [need, open] of OPENERS) {
    if (opts.needs && !opts.needs.has(need)) {
      unavailable[need] = 'not needed by the selected checks';
      continue;
    }
    // The run stops when a service a check needs cannot be opened (runner.ts): starting or connecting the rest is waste.
    const stopping = [...broken].filter((n) => !opts.required || opts.required.has(n as Exclude<Need, 'bullmq'>));
    if (stopping.length > 0) {
      unavailable[need] = `not opened: ${stopping.map(serviceName).join(', ')} could not be opened first`;
      continue;
    }
    const opened = await openOrAbort(() => open(config, log, onProgress), signal, late);
    if (opened.target) targets[need] = opened.target;
    if (opened.facts) facts[need] = opened.facts;
    if (opened.close) closers.push(opened.close);
    if (!opened.target) {
      unavailable[need] = opened.reason ?? `${need} is not configured`;
      if (opened.broken) broken.add(need);
    }
  }
  return {
    targets: targets as Targets,
    unavailable,
    broken,
    facts,
    async close() {
      const errors: unknown[] = [];
      for (const r of await Promise.allSettled(late)) if (r.status === 'rejected') errors.push(r.reason);
      for (const close of closers.reverse()) {
        try {
          await close();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length) log.error({ errors: errors.map(String) }, 'closing targets failed');
    },
  };
}
