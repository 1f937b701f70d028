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

export async function openTargets(config: Config, log: Logger, onProgress: (text: string) => void): Promise<OpenTargets> {
  const targets: Record<string, unknown> = {};
  const unavailable: Partial<Record<Need, string>> = {};
  const broken = new Set<Need>();
  const facts: Record<string, TargetFacts> = {};
  const closers: Array<() => Promise<void>> = [];
  // One at a time: a private server's start-up is CPU-bound, and the order of progress lines stays readable.
  for (const [need, open] of OPENERS) {
    const opened = await open(config, log, onProgress);
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
