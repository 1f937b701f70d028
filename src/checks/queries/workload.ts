// The workload schema shared by the queries checks of one run: made by the first that needs it, dropped when the run ends.
import type { Config } from '../../config/schema.js';
import { parseSegment } from '../../exec/stages.js';
import { runIdOf } from '../../workload/run-id.js';
import { dropWorkload, setupWorkload } from '../../workload/setup.js';
import type { Workload } from '../../workload/types.js';
import type { CheckContext } from '../types.js';
import type { MeasuredQuery } from './measure.js';
import type { WorkloadQuery } from '../../workload/queries.js';

export function workloadScale(config: Config): number {
  return config.workload.scale ?? (config.mode === 'full' ? 10 : 1);
}

export async function useWorkload(ctx: CheckContext): Promise<Workload> {
  let created = false;
  const workload = await ctx.shared(
    'workload',
    // On the run's target: the member session stands for this run until it ends, past the check that made it.
    (targets) => {
      created = true;
      const pg = targets.pg!;
      return setupWorkload(pg, {
        seed: ctx.config.workload.seed,
        scale: workloadScale(ctx.config),
        runId: runIdOf(ctx.config),
        segment: parseSegment(ctx.config.load.segment, 'config.load.segment'),
        signal: ctx.signal,
        progress: (text) => ctx.progress(text),
        warn: (text) => {
          ctx.log.warn(text);
          ctx.progress(text);
        },
      });
    },
    // keep_data leaves the schema for inspection, but this segment still leaves the run (its member session ends).
    (w) => (ctx.config.keep_data ? w.release() : dropWorkload(ctx.targets.pg!, w)),
  );
  if (created) {
    ctx.info('workload', {
      schema: workload.schema, run_id: workload.membership.runId, prepared: workload.prepared, seed: workload.seed, scale: workload.scale, rows: workload.rows,
      setupMs: Math.round(workload.setupMs), replacedLeftover: workload.replacedLeftover, kept: ctx.config.keep_data,
    });
  }
  return workload;
}

/** A workload query as a measured query; its prepared statement is named after it. */
export function measuredFrom(q: WorkloadQuery, workload: Workload, limitMs: number): MeasuredQuery {
  return {
    name: q.name, text: q.text, statement: `stackprobe_${q.name}`, isolate: false, writes: q.writes, limitMs,
    params: (rng) => q.params(workload, rng),
  };
}
