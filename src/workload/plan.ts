// The workload's shape for a seed and scale: sizes, the fixed time span, and the small structural tables kept in memory.
import { createRng } from './prng.js';
import { CATEGORIES, type AccountKind } from './vocabulary.js';

/** Fixed, not "now": the same seed gives the same rows whenever it runs. */
export const PERIOD_END_MS = Date.UTC(2025, 0, 1);
export const PERIOD_DAYS = 730;
export const PERIOD_START_MS = PERIOD_END_MS - PERIOD_DAYS * 86_400_000;
/** Budgets cover the last 12 months of the period. */
export const BUDGET_MONTHS = 12;
export const BUDGET_CATEGORIES_PER_USER = 5;

/** Seed streams, one per table, so each table's rows do not depend on how much another table drew. */
export const STREAM = { accounts: 1, users: 2, transactions: 3, budgets: 4, holdings: 5, prices: 6, queries: 100 } as const;

export interface PlannedAccount {
  id: number;
  userId: number;
  kind: AccountKind;
}

export interface PlannedHolding {
  accountId: number;
  securityId: number;
}

export interface WorkloadPlan {
  seed: number;
  scale: number;
  users: number;
  transactions: number;
  securities: number;
  accounts: PlannedAccount[];
  holdings: PlannedHolding[];
  /** 1-based ids of categories with kind 'expense'. */
  expenseCategoryIds: number[];
  /** Users holding at least one security (for the portfolio query's keys). */
  investorUserIds: number[];
  /** Weekdays of the last year, as YYYY-MM-DD, for prices. */
  priceDays: string[];
  /** First day of each budget month, YYYY-MM-DD. */
  budgetMonths: string[];
}

export function planWorkload(seed: number, scale: number): WorkloadPlan {
  const users = Math.max(10, Math.round(500 * scale));
  const transactions = Math.max(1000, Math.round(100_000 * scale));
  // Securities grow slower than users: a market has a few hundred listings whatever the app's size.
  const securities = Math.max(10, Math.round(100 * Math.sqrt(scale)));

  const rng = createRng(seed, STREAM.accounts);
  const accounts: PlannedAccount[] = [];
  const holdings: PlannedHolding[] = [];
  const investorUserIds: number[] = [];
  for (let userId = 1; userId <= users; userId++) {
    // ~2 accounts per user: everyone has checking; savings, a card and a brokerage account are common but optional.
    const kinds: AccountKind[] = ['checking'];
    if (rng.chance(0.45)) kinds.push('savings');
    if (rng.chance(0.3)) kinds.push('credit_card');
    if (rng.chance(0.25)) kinds.push('brokerage');
    for (const kind of kinds) {
      const id = accounts.length + 1;
      accounts.push({ id, userId, kind });
      if (kind !== 'brokerage') continue;
      const held = new Set<number>();
      const n = Math.min(securities, rng.int(3, 10));
      while (held.size < n) held.add(rng.int(1, securities));
      for (const securityId of [...held].sort((a, b) => a - b)) holdings.push({ accountId: id, securityId });
      if (investorUserIds[investorUserIds.length - 1] !== userId) investorUserIds.push(userId);
    }
  }

  const expenseCategoryIds = CATEGORIES.flatMap((c, i) => (c.kind === 'expense' ? [i + 1] : []));
  const priceDays: string[] = [];
  for (let ms = PERIOD_END_MS - 365 * 86_400_000; ms < PERIOD_END_MS; ms += 86_400_000) {
    const dow = new Date(ms).getUTCDay();
    if (dow !== 0 && dow !== 6) priceDays.push(isoDay(ms));
  }
  const budgetMonths: string[] = [];
  const end = new Date(PERIOD_END_MS);
  for (let m = BUDGET_MONTHS; m >= 1; m--) budgetMonths.push(isoDay(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - m, 1)));

  return { seed, scale, users, transactions, securities, accounts, holdings, expenseCategoryIds, investorUserIds, priceDays, budgetMonths };
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Row counts the generator will produce, per table. */
export function plannedRows(plan: WorkloadPlan): Record<string, number> {
  return {
    users: plan.users,
    accounts: plan.accounts.length,
    categories: CATEGORIES.length,
    transactions: plan.transactions,
    budgets: plan.users * BUDGET_CATEGORIES_PER_USER * plan.budgetMonths.length,
    securities: plan.securities,
    holdings: plan.holdings.length,
    prices: plan.securities * plan.priceDays.length,
  };
}

/**
 * The accounts segment `index` of `count` writes to: a contiguous, disjoint slice of 1..accounts (the slices cover
 * them all), so the inserts of two segments never touch one account. With fewer accounts than segments, a segment
 * shares its neighbour's account rather than writing nowhere.
 */
export function segmentAccounts(accounts: number, index: number, count: number): { from: number; to: number } {
  const from = Math.floor((accounts * (index - 1)) / count) + 1;
  const to = Math.floor((accounts * index) / count);
  return to >= from ? { from, to } : { from: Math.min(from, accounts), to: Math.min(from, accounts) };
}
