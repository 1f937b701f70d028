// Pure: whether a column holds money, judged from its declaration and a sample of its values; a name only adds weight.
import { nameWords } from './money-words.js';

/** What a bounded sample of a numeric-like column's values showed (all counts over the sampled non-NULL, finite values). */
export interface ValueStats {
  /** Sampled non-NULL finite values. */
  n: number;
  lo: number | null;
  hi: number | null;
  /** Values with a fractional part. */
  frac: number;
  /** Fractional values with at most 2 decimals. */
  cents: number;
  /** Fractional values with at most 2 decimals that are not a multiple of 0.25 (12.34, not 1.5). */
  oddCents: number;
  /** Values with more than 4 decimals (measurements and ratios, not amounts). */
  fine: number;
}

export interface MoneyCandidate {
  /** Base type through domains: numeric, real, double precision, money. */
  type: string;
  /** numeric's declared scale, when it has one. */
  scale: number | null;
  column: string;
  domain: string | null;
  domainComment: string | null;
  comment: string | null;
  stats: ValueStats | null;
}

export interface MoneyJudgement {
  money: boolean;
  /** The evidence seen for money, in words, strongest first; what the finding quotes. */
  signals: string[];
  /** Why the column is not money despite some signals (a fraction, a rate), when that decided. */
  against: string | null;
}

/** Words that, in a domain's name or a comment (the user's declaration), say "money". */
export const DECLARED_MONEY_WORDS = new Set(['money', 'monetary', 'currency', 'cash', 'amount', 'amounts', 'price', 'cents', 'cent', 'dollars', 'euros', 'cost', 'fee', 'balance']);
/** Words that, in a name, domain or comment, say "rate": a share or percentage, not an amount. */
export const RATE_WORDS = new Set(['rate', 'rates', 'ratio', 'percent', 'percentage', 'pct', 'apr', 'apy', 'share', 'factor', 'weight', 'margin', 'fraction', 'proportion', 'multiplier']);

const says = (text: string | null, words: Set<string>) => text !== null && nameWords(text).some((w) => words.has(w));
const saysRate = (text: string | null) => says(text, RATE_WORDS) || (text !== null && text.includes('%'));

/** The weights, documented in docs/checks/integrity.md: money needs 2 or more, and at least one signal besides the name. */
const DECLARED = 2;
const ODD_CENTS = 2;
const QUARTERS = 1;
const NAME = 1;
const FINE = -2;

/**
 * Money when not contradicted (values all within [0, 1]; within [0, 100] and declared or named as a rate) and the
 * evidence weighs 2 or more, of which the name gives at most 1: a name alone never makes a column money.
 */
export function judgeMoney(c: MoneyCandidate, nameSaysMoney: boolean): MoneyJudgement {
  if (c.type === 'money') return { money: true, signals: ['declared with the money type'], against: null };
  const s = c.stats;
  const magnitude = s && s.n > 0 ? Math.max(Math.abs(s.lo ?? 0), Math.abs(s.hi ?? 0)) : 0;
  if (s && s.n > 0 && (s.lo ?? 0) >= 0 && (s.hi ?? 0) <= 1) {
    return { money: false, signals: [], against: `all ${s.n} sampled values lie within [0, 1]: a fraction, not an amount` };
  }
  const rateDeclared = saysRate(c.column) || saysRate(c.domain) || saysRate(c.domainComment) || saysRate(c.comment);
  if (s && s.n > 0 && (s.lo ?? 0) >= 0 && (s.hi ?? 0) <= 100 && rateDeclared) {
    return { money: false, signals: [], against: `all ${s.n} sampled values lie within [0, 100] and it is declared or named as a rate` };
  }
  const signals: Array<[number, string]> = [];
  if (c.type === 'numeric' && c.scale !== null && c.scale >= 2 && c.scale <= 4) signals.push([DECLARED, `declared numeric with ${c.scale} decimals`]);
  if (says(c.domain, DECLARED_MONEY_WORDS) || says(c.domainComment, DECLARED_MONEY_WORDS)) signals.push([DECLARED, `declared through domain ${c.domain}`]);
  if (says(c.comment, DECLARED_MONEY_WORDS)) signals.push([DECLARED, `its comment says "${c.comment!.slice(0, 60)}"`]);
  if (s && s.frac > 0 && s.cents >= 0.9 * s.frac && magnitude > 1) {
    if (s.oddCents > 0) signals.push([ODD_CENTS, `${s.cents} of ${s.n} sampled values have cents, the largest ${magnitude}`]);
    else signals.push([QUARTERS, `${s.cents} of ${s.n} sampled values have quarter or half units beyond 1`]);
  }
  if (s && s.frac > 0 && s.fine > 0.5 * s.frac) signals.push([FINE, `${s.fine} of ${s.n} sampled values have more than 4 decimals`]);
  const evidence = signals.reduce((t, [w]) => t + w, 0);
  if (nameSaysMoney) signals.push([NAME, 'its name']);
  const weight = evidence + (nameSaysMoney ? NAME : 0);
  const positive = signals.filter(([w]) => w > 0).sort((a, b) => b[0] - a[0]).map(([, t]) => t);
  return { money: evidence > 0 && weight >= 2, signals: positive, against: null };
}
