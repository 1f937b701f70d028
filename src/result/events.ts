// The events a run emits while it goes, for progress views and the live dashboard: reporters read these and the result
// model, never the runner itself (docs/architecture.md, "The layers").
import type { CheckResult } from './model.js';

export type RunEvent =
  | { type: 'plan'; checks: Array<{ id: string; title: string; category: string; estimateMs?: number }> }
  | { type: 'setup'; text: string }
  | { type: 'check-start'; id: string }
  | { type: 'check-progress'; id: string; text: string }
  | { type: 'check-end'; result: CheckResult }
  | { type: 'teardown'; text: string };
