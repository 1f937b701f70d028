// The handle a set-up workload gives the checks: what was loaded, and the key ranges queries draw from.
import type { Segment } from '../exec/stages.js';
import type { WorkloadPlan } from './plan.js';

export interface WorkloadOptions {
  seed: number;
  scale: number;
  /** Segments with the same run id share one schema; default: a random id (a run of its own). */
  runId?: string;
  /** This process's share of the run; default 1/1. */
  segment?: Segment;
  /** How long a joining segment waits for the preparing one (default 30 min). */
  readyTimeoutMs?: number;
  /** Aborting stops the load (COPY and DDL are cancelled) and drops what was created. */
  signal: AbortSignal;
  /** A short line for the live progress view. */
  progress?: (text: string) => void;
  /** Something the user should know (a leftover schema replaced). */
  warn?: (text: string) => void;
}

export interface Workload {
  readonly schema: string;
  readonly seed: number;
  readonly scale: number;
  /** Rows loaded per table (from COPY's own count). */
  readonly rows: Record<string, number>;
  /** Sizes and in-memory structure: ids are 1..n per table, plus investor users, expense categories, budget months. */
  readonly plan: WorkloadPlan;
  readonly setupMs: number;
  /** True when this segment created and loaded the schema; false when it joined a run that did. */
  readonly prepared: boolean;
  /** True when a schema left over by an interrupted run was dropped first. */
  readonly replacedLeftover: boolean;
  /** The run this segment belongs to and the server process that stands for it (its row in stackprobe._members). */
  readonly membership: { runId: string; segment: Segment; pid: number };
  /** Leaves the run keeping the schema (keep_data); idempotent. */
  release(): Promise<void>;
  /** Leaves the run; the last segment to leave drops the schema; idempotent. dropWorkload calls it. */
  leave(): Promise<void>;
}
