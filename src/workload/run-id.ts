// The run id segments share: given (--run-id), or derived from what every segment of one launch has in common.
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { parseSegment } from '../exec/stages.js';
import { randomRunId } from './setup.js';

/**
 * `load.run_id` when given. With n > 1 segments and none given, a hash of the settings that shape the shared load (mode,
 * workload, load without the segment): the pods of one Job get the same id without talking to each other. Time enters
 * through the database, not the id: a run of that id can be joined only until its stages start, and a later launch of
 * the same config finds the schema gone (or reaped) and begins a new run. A run of one segment gets a random id.
 */
export function runIdOf(config: Config): string {
  if (config.load.run_id) return config.load.run_id;
  if (parseSegment(config.load.segment, 'config.load.segment').count === 1) return randomRunId();
  const { segment: _segment, run_id: _runId, ...load } = config.load;
  const shape = JSON.stringify({ mode: config.mode, workload: config.workload, load });
  return `cfg-${createHash('sha256').update(shape).digest('hex').slice(0, 12)}`;
}
