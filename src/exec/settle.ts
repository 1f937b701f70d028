// When a default measuring window may end early: once its operation has enough successes for its percentiles to be
// settled. One rule for every check that uses it (queries' statements, cache.latency's operations).

/**
 * A window ends once it has `samples` successes and at least `minMs` has passed. The noise model is the order
 * statistic's: with n samples the 95 % confidence interval of the rank of the q-quantile is q·n ± 1.96·√(n·q·(1−q)).
 * The stop reads the count alone, never a latency, so it cannot favour a lucky stretch (no optional-stopping bias); the
 * floor keeps every window long enough to span the host's short stalls.
 */
export interface SettleRule {
  samples: number;
  minMs: number;
}

/** Quick mode: 2,000 from 0.5 s on; the p95's interval spans p94–p96 at n ≈ 1,825. */
export const QUICK_SETTLE: SettleRule = { samples: 2000, minMs: 500 };
/** Full mode: 10,000 from 2 s on; the p99's interval spans p98.8–p99.2 (the p95's p94.6–p95.4). */
export const FULL_SETTLE: SettleRule = { samples: 10_000, minMs: 2000 };

/**
 * The rule a default window ends on, or undefined when the window runs whole: its length is configured (`fixedWindow`),
 * or the check's thresholds are the config's own (they may judge a p99.9, which needs more than the rule gives).
 */
export function settleRuleFor(mode: string, fixedWindow: boolean, ownThresholds: Readonly<Record<string, unknown>> | undefined): SettleRule | undefined {
  if (fixedWindow || Object.keys(ownThresholds ?? {}).length > 0) return undefined;
  return mode === 'full' ? FULL_SETTLE : QUICK_SETTLE;
}
