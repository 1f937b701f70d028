// Builds a check's threshold rules: its defaults (derived from the config's thresholds), overridden per metric by config.checks[id].thresholds.
import type { Config, ThresholdSpec } from '../config/schema.js';
import type { Check } from '../checks/types.js';
import type { MetricDecl } from '../metrics/declare.js';
import type { ThresholdRule } from './evaluate.js';
import { parseSelector, parseThreshold } from './threshold-parser.js';
import { assertAggregate, declarationOf } from './validate.js';

/** The metrics a check declares it records (undefined for a check that declares none: its thresholds are not validated). */
export function declaredMetrics(check: Check, config: Config): readonly MetricDecl[] | undefined {
  return typeof check.metrics === 'function' ? check.metrics(config) : check.metrics;
}

function specsToRules(selector: string, specs: ThresholdSpec[], pathPrefix: string, source: string, check: { id: string; declared: readonly MetricDecl[] | undefined }): ThresholdRule[] {
  const sel = parseSelector(selector, pathPrefix);
  const decl = check.declared && declarationOf(sel, check.declared, check.id, pathPrefix);
  const rules: ThresholdRule[] = [];
  specs.forEach((spec, i) => {
    const at = `${pathPrefix}[${i}]`;
    const levels: Array<['fail' | 'warn', string | undefined]> = typeof spec === 'string' ? [['fail', spec]] : [['fail', spec.fail], ['warn', spec.warn]];
    for (const [level, expr] of levels) {
      if (expr === undefined) continue;
      const path = typeof spec === 'string' ? at : `${at}.${level}`;
      const parsed = parseThreshold(expr, path);
      if (decl) assertAggregate(parsed, decl, path);
      rules.push({ selector: sel, expr: parsed, level, source });
    }
  });
  return rules;
}

/**
 * Throws ConfigError (naming the config path) on a bad expression, a metric the check does not declare or an aggregate
 * its type has not, so call it before any check runs.
 */
export function rulesForCheck(check: Check, config: Config): ThresholdRule[] {
  const declared = { id: check.id, declared: declaredMetrics(check, config) };
  const defaults = check.thresholds?.(config) ?? {};
  const overrides = config.checks[check.id]?.thresholds ?? {};
  const rules: ThresholdRule[] = [];
  for (const [selector, specs] of Object.entries(defaults)) {
    if (selector in overrides) continue;
    rules.push(...specsToRules(selector, specs, `${check.id} default thresholds.${selector}`, 'default', declared));
  }
  for (const [selector, specs] of Object.entries(overrides)) {
    const path = `config.checks[${JSON.stringify(check.id)}].thresholds[${JSON.stringify(selector)}]`;
    rules.push(...specsToRules(selector, specs, path, path, declared));
  }
  return rules;
}
