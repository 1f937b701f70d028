// The workload's query mix: basic OLTP statements and financial calculations, each with a seeded parameter generator.
import { centsToDecimal } from './generate.js';
import { PERIOD_END_MS, PERIOD_START_MS } from './plan.js';
import type { Rng } from './prng.js';
import { wl } from './sql.js';
import type { Workload } from './types.js';
import { COUNTRIES } from './vocabulary.js';

export interface WorkloadQuery {
  /** Metric tag and report name. */
  name: string;
  text: string;
  /** True for statements that change data (their EXPLAIN ANALYZE runs in a transaction that is rolled back). */
  writes: boolean;
  /** Parameters for one execution, drawn from the seeded PRNG so runs are repeatable. */
  params(w: Workload, rng: Rng): unknown[];
}

const T = wl('transactions');
const A = wl('accounts');
const C = wl('categories');
const MONTH_MS = 30 * 86_400_000;

const account = (w: Workload, rng: Rng) => rng.int(1, w.plan.accounts.length);
const user = (w: Workload, rng: Rng) => rng.int(1, w.plan.users);
/** The first day of one of the period's months, as a UTC timestamp. */
const monthStart = (rng: Rng) => {
  const d = new Date(PERIOD_START_MS + rng.int(0, Math.floor((PERIOD_END_MS - PERIOD_START_MS) / MONTH_MS) - 1) * MONTH_MS);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
};

export const BASIC_QUERIES: readonly WorkloadQuery[] = [
  {
    name: 'point_lookup',
    text: `SELECT id, account_id, category_id, amount, occurred_at, description FROM ${T} WHERE id = $1`,
    writes: false,
    params: (w, rng) => [rng.int(1, w.plan.transactions)],
  },
  {
    name: 'insert_transaction',
    text: `INSERT INTO ${T} (account_id, category_id, amount, occurred_at, description) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    writes: true,
    params: (w, rng) => [
      account(w, rng), rng.pick(w.plan.expenseCategoryIds), centsToDecimal(-rng.int(100, 20_000)),
      new Date(PERIOD_END_MS + rng.int(0, 30 * 86_400) * 1000).toISOString(), 'stackprobe insert',
    ],
  },
  {
    name: 'recent_transactions',
    text: `SELECT id, amount, occurred_at, description FROM ${T} WHERE account_id = $1 ORDER BY occurred_at DESC LIMIT 50`,
    writes: false,
    params: (w, rng) => [account(w, rng)],
  },
];

export const FINANCIAL_QUERIES: readonly WorkloadQuery[] = [
  {
    name: 'running_balance',
    // The balance after every transaction of one account (a window over its whole history), newest 100 shown.
    text: `SELECT id, occurred_at, amount, balance FROM (
        SELECT t.id, t.occurred_at, t.amount, a.opening_balance + sum(t.amount) OVER (ORDER BY t.occurred_at, t.id) AS balance
        FROM ${T} t JOIN ${A} a ON a.id = t.account_id WHERE t.account_id = $1
      ) s ORDER BY occurred_at DESC, id DESC LIMIT 100`,
    writes: false,
    params: (w, rng) => [account(w, rng)],
  },
  {
    name: 'monthly_spending',
    text: `SELECT date_trunc('month', t.occurred_at, 'UTC') AS month, c.name AS category, -sum(t.amount) AS spent, count(*) AS n
      FROM ${A} a
      JOIN ${T} t ON t.account_id = a.id AND t.occurred_at >= $2::timestamptz - interval '12 months' AND t.occurred_at < $2::timestamptz
      JOIN ${C} c ON c.id = t.category_id AND c.kind = 'expense'
      WHERE a.user_id = $1
      GROUP BY 1, 2 ORDER BY 1, 3 DESC`,
    writes: false,
    params: (w, rng) => [user(w, rng), new Date(PERIOD_END_MS).toISOString()],
  },
  {
    name: 'budget_vs_actual',
    text: `SELECT c.name AS category, b.amount AS budget, coalesce(s.spent, 0) AS actual, b.amount - coalesce(s.spent, 0) AS remaining,
        round(100 * coalesce(s.spent, 0) / nullif(b.amount, 0), 1) AS pct_used
      FROM ${wl('budgets')} b
      JOIN ${C} c ON c.id = b.category_id
      LEFT JOIN LATERAL (
        SELECT -sum(t.amount) AS spent FROM ${T} t JOIN ${A} a ON a.id = t.account_id
        WHERE a.user_id = b.user_id AND t.category_id = b.category_id
          AND t.occurred_at >= b.month::timestamp AT TIME ZONE 'UTC' AND t.occurred_at < (b.month + interval '1 month') AT TIME ZONE 'UTC'
      ) s ON true
      WHERE b.user_id = $1 AND b.month = $2::date
      ORDER BY pct_used DESC NULLS LAST`,
    writes: false,
    params: (w, rng) => [user(w, rng), rng.pick(w.plan.budgetMonths)],
  },
  {
    name: 'portfolio_valuation',
    // Each holding at its security's latest close (a LATERAL top-1 per security on the prices primary key).
    text: `SELECT s.symbol, sum(h.quantity) AS quantity, p.close AS price, p.day AS priced_on,
        round(sum(h.quantity) * p.close, 2) AS market_value, sum(round(sum(h.quantity) * p.close, 2)) OVER () AS portfolio_total
      FROM ${A} a
      JOIN ${wl('holdings')} h ON h.account_id = a.id
      JOIN ${wl('securities')} s ON s.id = h.security_id
      CROSS JOIN LATERAL (SELECT pr.close, pr.day FROM ${wl('prices')} pr WHERE pr.security_id = h.security_id ORDER BY pr.day DESC LIMIT 1) p
      WHERE a.user_id = $1
      GROUP BY s.symbol, p.close, p.day
      ORDER BY market_value DESC`,
    writes: false,
    params: (w, rng) => [w.plan.investorUserIds.length > 0 ? rng.pick(w.plan.investorUserIds) : user(w, rng)],
  },
  {
    name: 'amortisation_schedule',
    // A fixed-rate loan: payment = P·r / (1 − (1+r)^−n); balance before period k = P·g − payment·(g − 1)/r with g = (1+r)^(k−1). All numeric.
    text: `WITH terms AS (SELECT $1::numeric AS principal, $2::numeric / 12 AS r, $3::int AS n),
      schedule AS (
        SELECT k, r, round(principal * r / (1 - power(1 + r, -n)), 2) AS payment, principal, power(1 + r, k - 1) AS g
        FROM terms, generate_series(1, n) AS k
      ),
      periods AS (SELECT k, r, payment, round(principal * g - payment * (g - 1) / r, 2) AS opening FROM schedule)
      SELECT k AS period, opening AS opening_balance, payment, round(opening * r, 2) AS interest,
        payment - round(opening * r, 2) AS principal_paid,
        greatest(opening - (payment - round(opening * r, 2)), 0) AS closing_balance,
        sum(round(opening * r, 2)) OVER (ORDER BY k) AS interest_to_date
      FROM periods ORDER BY k`,
    writes: false,
    params: (_w, rng) => [centsToDecimal(rng.int(500, 8_000) * 10_000), centsToDecimal(rng.int(200, 800), 4), rng.pick([120, 180, 240, 360])],
  },
  {
    name: 'join_report',
    // A month's statement for every user of one country: users, accounts, transactions and categories joined and grouped.
    text: `SELECT u.id AS user_id, u.full_name, a.kind AS account_kind, c.kind AS category_kind,
        count(*) AS transactions, sum(t.amount) AS net, min(t.occurred_at) AS first_at, max(t.occurred_at) AS last_at
      FROM ${wl('users')} u
      JOIN ${A} a ON a.user_id = u.id
      JOIN ${T} t ON t.account_id = a.id AND t.occurred_at >= $2::timestamptz AND t.occurred_at < $2::timestamptz + interval '1 month'
      JOIN ${C} c ON c.id = t.category_id
      WHERE u.country = $1
      GROUP BY u.id, u.full_name, a.kind, c.kind
      ORDER BY u.id, a.kind, c.kind`,
    writes: false,
    params: (_w, rng) => [rng.pick(COUNTRIES), monthStart(rng)],
  },
];
