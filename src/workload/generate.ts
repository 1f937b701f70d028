// Row generators for COPY: each table's rows in PostgreSQL's text format, yielded in small chunks (never one big string).
import { BUDGET_CATEGORIES_PER_USER, isoDay, PERIOD_END_MS, PERIOD_START_MS, STREAM, type WorkloadPlan } from './plan.js';
import { createRng, type Rng } from './prng.js';
import { CATEGORIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, tickerFor } from './vocabulary.js';

type Cell = string | number | null;

export interface TableData {
  table: string;
  columns: string[];
  /** Chunks of complete lines in COPY text format; a fresh, identical sequence on every call. */
  chunks(): Iterable<string>;
}

const CHUNK_ROWS = 2000;
const DAY_MS = 86_400_000;

/** Escapes one value for COPY's text format (backslash, tab, newline, carriage return); null becomes \N. */
export function copyValue(v: Cell): string {
  if (v === null) return '\\N';
  const s = String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : s;
}

/** An integer count of the smallest unit as a decimal string: money never passes through a float. */
export function centsToDecimal(units: number, fractionDigits = 2): string {
  const unit = 10 ** fractionDigits;
  const abs = Math.abs(units);
  const frac = fractionDigits > 0 ? `.${String(abs % unit).padStart(fractionDigits, '0')}` : '';
  return `${units < 0 ? '-' : ''}${Math.floor(abs / unit)}${frac}`;
}

function* chunked(rows: Iterable<Cell[]>): Iterable<string> {
  let buf: string[] = [];
  for (const row of rows) {
    buf.push(row.map(copyValue).join('\t'));
    if (buf.length >= CHUNK_ROWS) {
      yield buf.join('\n') + '\n';
      buf = [];
    }
  }
  if (buf.length > 0) yield buf.join('\n') + '\n';
}

/** Skewed towards the low end, like real spending: many small amounts, few large ones. */
function amountCents(rng: Rng, min: number, max: number): number {
  const r = rng.next();
  return min + Math.floor((max - min) * r * r);
}

const iso = (ms: number): string => new Date(ms).toISOString();

function* users(plan: WorkloadPlan): Iterable<Cell[]> {
  const rng = createRng(plan.seed, STREAM.users);
  for (let id = 1; id <= plan.users; id++) {
    const createdAt = PERIOD_START_MS - rng.int(1, 1000) * DAY_MS + rng.int(0, 86_399) * 1000;
    yield [id, `user${id}@example.test`, `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`, rng.pick(COUNTRIES), iso(createdAt)];
  }
}

function* accounts(plan: WorkloadPlan): Iterable<Cell[]> {
  const rng = createRng(plan.seed, STREAM.accounts, 1);
  for (const a of plan.accounts) {
    const opening = a.kind === 'credit_card' ? 0 : rng.int(0, 2_000_000);
    yield [a.id, a.userId, a.kind, `${a.kind.replace('_', ' ')} ${a.id}`, 'USD', centsToDecimal(opening), isoDay(PERIOD_START_MS - rng.int(1, 2000) * DAY_MS)];
  }
}

function* transactions(plan: WorkloadPlan): Iterable<Cell[]> {
  const rng = createRng(plan.seed, STREAM.transactions);
  let acc = 0;
  const cumulative = CATEGORIES.map((c) => (acc += c.weight));
  const nAccounts = plan.accounts.length;
  const stepMs = (PERIOD_END_MS - PERIOD_START_MS) / plan.transactions;
  for (let id = 1; id <= plan.transactions; id++) {
    const w = rng.next() * acc;
    let ci = 0;
    while (cumulative[ci]! <= w) ci++;
    const cat = CATEGORIES[ci]!;
    const cents = amountCents(rng, cat.minCents, cat.maxCents);
    const signed = cat.kind === 'income' || (cat.kind === 'transfer' && rng.chance(0.5)) ? cents : -cents;
    // Rows arrive in time order, as an app appends them; whole seconds keep the text short.
    const at = PERIOD_START_MS + Math.floor(((id - 1 + rng.next()) * stepMs) / 1000) * 1000;
    yield [id, rng.int(1, nAccounts), ci + 1, centsToDecimal(signed), iso(at), `${rng.pick(cat.merchants)} #${rng.int(1000, 9999)}`];
  }
}

function* budgets(plan: WorkloadPlan): Iterable<Cell[]> {
  const rng = createRng(plan.seed, STREAM.budgets);
  let id = 0;
  for (let userId = 1; userId <= plan.users; userId++) {
    const picked = new Set<number>();
    while (picked.size < BUDGET_CATEGORIES_PER_USER) picked.add(rng.pick(plan.expenseCategoryIds));
    const cats = [...picked].sort((a, b) => a - b);
    // A round monthly budget of a few typical purchases in that category, in whole dollars.
    const base = cats.map((c) => Math.round((CATEGORIES[c - 1]!.minCents + CATEGORIES[c - 1]!.maxCents) / 2 / 100) * rng.int(2, 6));
    for (const month of plan.budgetMonths) {
      for (let i = 0; i < cats.length; i++) yield [++id, userId, cats[i]!, month, centsToDecimal(base[i]! * 100)];
    }
  }
}

function* securities(plan: WorkloadPlan): Iterable<Cell[]> {
  for (let id = 1; id <= plan.securities; id++) yield [id, tickerFor(id), `Security ${tickerFor(id)} Inc.`, id % 5 === 0 ? 'etf' : 'stock'];
}

function* holdings(plan: WorkloadPlan): Iterable<Cell[]> {
  const rng = createRng(plan.seed, STREAM.holdings);
  // Quantities with up to three decimals (fractional shares), as thousandths.
  for (const h of plan.holdings) yield [h.accountId, h.securityId, centsToDecimal(rng.int(1_000, 500_000), 3)];
}

function* prices(plan: WorkloadPlan): Iterable<Cell[]> {
  const rng = createRng(plan.seed, STREAM.prices);
  for (let sid = 1; sid <= plan.securities; sid++) {
    // A random walk in ten-thousandths of a dollar (numeric(14,4)); rounding each step keeps it exact in text.
    let p = rng.int(5, 500) * 10_000;
    for (const day of plan.priceDays) {
      p = Math.max(1_000, Math.round(p * (1 + (rng.next() - 0.5) * 0.04)));
      yield [sid, day, centsToDecimal(p, 4)];
    }
  }
}

/** Tables in load order (parents before children, though foreign keys are added only after loading). */
export function tableData(plan: WorkloadPlan): TableData[] {
  const t = (table: string, columns: string[], rows: (p: WorkloadPlan) => Iterable<Cell[]>): TableData => ({
    table,
    columns,
    chunks: () => chunked(rows(plan)),
  });
  return [
    t('users', ['id', 'email', 'full_name', 'country', 'created_at'], users),
    t('accounts', ['id', 'user_id', 'kind', 'name', 'currency', 'opening_balance', 'opened_at'], accounts),
    t('categories', ['id', 'name', 'kind'], () => CATEGORIES.map((c, i) => [i + 1, c.name, c.kind])),
    t('transactions', ['id', 'account_id', 'category_id', 'amount', 'occurred_at', 'description'], transactions),
    t('budgets', ['id', 'user_id', 'category_id', 'month', 'amount'], budgets),
    t('securities', ['id', 'symbol', 'name', 'kind'], securities),
    t('holdings', ['account_id', 'security_id', 'quantity'], holdings),
    t('prices', ['security_id', 'day', 'close'], prices),
  ];
}
