// Checks the raw shape of a config before anything recursive walks it: nesting depth (a config 50,000 levels deep
// overflowed the stack) and key names that would reach an object's prototype when copied (`__proto__` and its kin).
import { ConfigError } from '../util/errors.js';
import { pathOf } from './format-issues.js';

/** No real config is deeper than ~6 levels (thresholds.<check>.<metric>); 32 leaves room and keeps every walk shallow. */
export const MAX_CONFIG_DEPTH = 32;

/** Keys that, copied with `out[k] = v`, set or shadow a prototype instead of holding a value. */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);


/** Throws a ConfigError naming `label` and the path (`config.thresholds.x`) of the first refused key or too-deep value. */
export function checkShape(value: unknown, label = ''): void {
  const at = label ? `${label}: ` : '';
  const stack: Array<{ v: unknown; path: Array<string | number> }> = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (path.length >= MAX_CONFIG_DEPTH) {
      throw new ConfigError(`${at}${pathOf(path)}: nested deeper than ${MAX_CONFIG_DEPTH} levels (no config key is this deep)`);
    }
    if (Array.isArray(v)) {
      v.forEach((child, i) => stack.push({ v: child, path: [...path, i] }));
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      if (REFUSED_KEYS.has(k)) throw new ConfigError(`${at}${pathOf([...path, k])}: the key ${JSON.stringify(k)} is not allowed (no config key has this name)`);
      stack.push({ v: child, path: [...path, k] });
    }
  }
}
