// The events a run emits while it goes, for progress views and the live dashboard: reporters read these and the result
// model, never the runner itself (docs/architecture.md, "The layers").
import type { CheckResult, Headline, TimeSeries } from './model.js';

/**
 * What a running check has recorded so far: its time series and figures, read when a live view asks (never copied), and
 * the headline chart the check draws from them (its `headline` hook), when it has one.
 */
export interface CheckSnapshot { timeSeries: TimeSeries[]; info: Record<string, unknown>; headline?: Headline }

export type RunEvent =
  | { type: 'plan'; checks: Array<{ id: string; title: string; category: string; estimateMs?: number }> }
  | { type: 'setup'; text: string }
  | { type: 'check-start'; id: string; peek?: () => CheckSnapshot | undefined }
  | { type: 'check-progress'; id: string; text: string }
  | { type: 'check-end'; result: CheckResult }
  | { type: 'teardown'; text: string };
