// Parses threshold strings (k6 style: `p(95)<500`, `avg<50`, `rate>0.95`, `count==0`) once, into a tiny AST.
import { ConfigError } from '../util/errors.js';

export type Aggregate =
  | { kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' | 'stdev' }
  | { kind: 'percentile'; p: number };
export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ThresholdExpr {
  source: string;
  aggregate: Aggregate;
  op: Operator;
  value: number;
}

export interface MetricSelector {
  source: string;
  name: string;
  tags: Record<string, string>;
}

const EXPR = /^\s*(avg|min|max|med|count|rate|value|stdev|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;
const SELECTOR = /^\s*([A-Za-z_][\w.]*)\s*(?:\{([^}]*)\})?\s*$/;

/** @param path config path used in the error message, e.g. `config.checks["queries.basic"].thresholds.query_duration[0]` */
export function parseThreshold(expr: string, path: string): ThresholdExpr {
  const m = EXPR.exec(expr);
  if (!m) {
    throw new ConfigError(
      `${path}: expected a threshold like "p(95)<500", "avg<50", "rate>0.95" or "count==0", got ${JSON.stringify(expr)}`,
    );
  }
  const [, agg, pct, op, num] = m;
  let aggregate: Aggregate;
  if (pct !== undefined) {
    const p = Number(pct);
    if (!(p > 0 && p <= 100)) throw new ConfigError(`${path}: percentile must be in (0, 100], got ${pct}`);
    aggregate = { kind: 'percentile', p };
  } else {
    aggregate = { kind: agg!.toLowerCase() as Exclude<Aggregate['kind'], 'percentile'> };
  }
  return { source: expr.trim(), aggregate, op: op as Operator, value: Number(num) };
}

export function parseSelector(selector: string, path: string): MetricSelector {
  const m = SELECTOR.exec(selector);
  if (!m) throw new ConfigError(`${path}: expected a metric name like "query_duration" or "query_duration{query:point_lookup}", got ${JSON.stringify(selector)}`);
  const tags: Record<string, string> = {};
  for (const part of (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const idx = part.indexOf(':');
    if (idx <= 0) throw new ConfigError(`${path}: tag filter ${JSON.stringify(part)} must look like key:value`);
    tags[part.slice(0, idx).trim()] = part.slice(idx + 1).trim();
  }
  return { source: selector.trim(), name: m[1]!, tags };
}

export function compare(actual: number, op: Operator, expected: number): boolean {
  switch (op) {
    case '<': return actual < expected;
    case '<=': return actual <= expected;
    case '>': return actual > expected;
    case '>=': return actual >= expected;
    case '==': return actual === expected;
    case '!=': return actual !== expected;
  }
}
