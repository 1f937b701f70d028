// Builds a check's threshold rules: its defaults (derived from the config's thresholds), overridden per metric by config.checks[id].thresholds.
import type { Config, ThresholdSpec } from '../config/schema.js';
import type { Check } from '../checks/types.js';
import type { ThresholdRule } from './evaluate.js';
import { parseSelector, parseThreshold } from './threshold-parser.js';

function specsToRules(selector: string, specs: ThresholdSpec[], pathPrefix: string, source: string): ThresholdRule[] {
  const sel = parseSelector(selector, pathPrefix);
  const rules: ThresholdRule[] = [];
  specs.forEach((spec, i) => {
    const at = `${pathPrefix}[${i}]`;
    const levels: Array<['fail' | 'warn', string | undefined]> = typeof spec === 'string' ? [['fail', spec]] : [['fail', spec.fail], ['warn', spec.warn]];
    for (const [level, expr] of levels) {
      if (expr === undefined) continue;
      rules.push({ selector: sel, expr: parseThreshold(expr, typeof spec === 'string' ? at : `${at}.${level}`), level, source });
    }
  });
  return rules;
}

/** Throws ConfigError (naming the config path) on a bad expression, so call it before any check runs. */
export function rulesForCheck(check: Check, config: Config): ThresholdRule[] {
  const defaults = check.thresholds?.(config) ?? {};
  const overrides = config.checks[check.id]?.thresholds ?? {};
  const rules: ThresholdRule[] = [];
  for (const [selector, specs] of Object.entries(defaults)) {
    if (selector in overrides) continue;
    rules.push(...specsToRules(selector, specs, `${check.id} default thresholds.${selector}`, 'default'));
  }
  for (const [selector, specs] of Object.entries(overrides)) {
    const path = `config.checks[${JSON.stringify(check.id)}].thresholds[${JSON.stringify(selector)}]`;
    rules.push(...specsToRules(selector, specs, path, path));
  }
  return rules;
}
