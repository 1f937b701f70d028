// The handle a set-up workload gives the checks: what was loaded, and the key ranges queries draw from.
import type { WorkloadPlan } from './plan.js';

export interface WorkloadOptions {
  seed: number;
  scale: number;
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
  /** True when a schema left over by an interrupted run was dropped first. */
  readonly replacedLeftover: boolean;
  /** Ends the session that holds the workload's advisory lock (idempotent); dropWorkload calls it. */
  release(): Promise<void>;
}
