// What opening a target yields: the target, or why it is not there (and whether that is a failure or just unconfigured).
import type { TargetFacts } from '../result/model.js';

export interface Opened<T> {
  target?: T;
  /** Why there is no target, e.g. `REDIS_URL not set` or a redacted connection error. */
  reason?: string;
  /** True when the service was configured (or started) but could not be used: its checks fail instead of skipping. */
  broken?: boolean;
  facts?: TargetFacts;
  /** Closes the target and stops anything private started for it. */
  close?: () => Promise<void>;
}
