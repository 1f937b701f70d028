// Validates a threshold against the metrics its check declares, before anything runs: an unknown metric (with the
// closest declared name) or an aggregate its type has not (a percentile of a rate) is a ConfigError naming the path.
import { aggregatesOf, type MetricDecl } from '../metrics/declare.js';
import { ConfigError } from '../util/errors.js';
import { nearest } from '../util/closest.js';
import type { MetricSelector, ThresholdExpr } from './threshold-parser.js';

/** How an aggregate is written in a threshold, for the message listing the ones a type has. */
const SPELLING: Record<string, string> = { percentile: 'p(N)' };

/** The declaration a selector names; throws with "did you mean" when the check declares no such metric. */
export function declarationOf(sel: MetricSelector, declared: readonly MetricDecl[], checkId: string, path: string): MetricDecl {
  const decl = declared.find((d) => d.name === sel.name && d.type !== 'series');
  if (decl) return decl;
  const names = [...new Set(declared.filter((d) => d.type !== 'series').map((d) => d.name))].sort();
  const guess = nearest(sel.name, names);
  const hint = guess ? `; did you mean ${JSON.stringify(guess)}?` : names.length ? ` (it records ${names.join(', ')})` : ' (it records no metrics)';
  throw new ConfigError(`${path}: ${checkId} records no metric ${JSON.stringify(sel.name)}${hint}`);
}

/** Throws when the expression takes an aggregate the metric's type has not (e.g. `p(95)` of a rate). */
export function assertAggregate(expr: ThresholdExpr, decl: MetricDecl, path: string): void {
  const allowed = aggregatesOf(decl);
  if (allowed.includes(expr.aggregate.kind)) return;
  const agg = expr.aggregate.kind === 'percentile' ? `p(${expr.aggregate.p})` : expr.aggregate.kind;
  const what = decl.type === 'counter' && expr.aggregate.kind === 'rate' ? 'a counter without a per-second rate' : `a ${decl.type}`;
  const spelled = allowed.map((a) => SPELLING[a] ?? a);
  const choices = spelled.length > 1 ? `${spelled.slice(0, -1).join(', ')} or ${spelled[spelled.length - 1]}` : spelled.join('');
  throw new ConfigError(`${path}: ${JSON.stringify(expr.source)}: ${decl.name} is ${what}, which has no ${agg}; use ${choices}`);
}
