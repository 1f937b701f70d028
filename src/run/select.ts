// Decides which checks run: --only/--skip (categories or ids), config.checks[id].enabled, and --read-only.
import type { Check } from '../checks/types.js';
import { CATEGORIES, type Config } from '../config/schema.js';
import { ConfigError } from '../util/errors.js';

export interface Selection {
  run: Check[];
  /** Checks listed in the result as `skip` with the reason. */
  skipped: Array<{ check: Check; reason: string }>;
}

function matches(check: Check, names: string[]): boolean {
  return names.includes(check.category) || names.includes(check.id);
}

export function selectChecks(all: Check[], config: Config): Selection {
  // Every built-in category name is valid even when it has no checks in this build, so configs stay portable.
  const known = new Set([...CATEGORIES, ...all.flatMap((c) => [c.id, c.category])]);
  for (const [field, names] of [['only', config.only ?? []], ['skip', config.skip]] as const) {
    names.forEach((n, i) => {
      if (!known.has(n)) throw new ConfigError(`config.${field}[${i}]: expected a category or check id (${[...new Set([...CATEGORIES, ...all.map((c) => c.category)])].join(', ')}), got ${JSON.stringify(n)}`);
    });
  }
  const selection: Selection = { run: [], skipped: [] };
  for (const check of all) {
    if (config.only && !matches(check, config.only)) continue;
    if (matches(check, config.skip)) selection.skipped.push({ check, reason: 'skipped by --skip' });
    else if (config.checks[check.id]?.enabled === false) selection.skipped.push({ check, reason: `disabled by config.checks["${check.id}"].enabled` });
    else if (config.read_only && check.writes) selection.skipped.push({ check, reason: '--read-only: this check writes' });
    else selection.run.push(check);
  }
  return selection;
}
