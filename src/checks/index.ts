// The built-in checks, in the order a run executes them (the category order of the README's table).
import { backupChecks } from './backup/index.js';
import { cacheChecks } from './cache/index.js';
import { healthChecks } from './health/index.js';
import { integrityChecks } from './integrity/index.js';
import { loadChecks } from './load/index.js';
import { poolChecks } from './pool/index.js';
import { queriesChecks } from './queries/index.js';
import { tasksChecks } from './tasks/index.js';
import type { Check } from './types.js';

/** What each built-in category is called in reports, in run order. */
export const categoryTitles: Readonly<Record<string, string>> = {
  pool: 'Connection pooling',
  queries: 'Query performance',
  integrity: 'Data integrity',
  backup: 'Backup and restore',
  cache: 'Redis cache',
  tasks: 'Background tasks',
  load: 'System under load',
  health: 'Your database as it runs',
};

export const builtinChecks: Check[] = [
  ...poolChecks,
  ...queriesChecks,
  ...integrityChecks,
  ...backupChecks,
  ...cacheChecks,
  ...tasksChecks,
  ...loadChecks,
  ...healthChecks,
];

const CATEGORY_ORDER = [...new Set(builtinChecks.map((c) => c.category))];

/** Checks grouped by category, the built-in categories in the order of src/checks/index.ts, plugin categories after in order of appearance. */
export function groupByCategory<T extends { category: string }>(checks: T[]): Array<{ category: string; checks: T[] }> {
  const groups = new Map<string, T[]>();
  for (const c of checks) {
    const list = groups.get(c.category) ?? [];
    list.push(c);
    groups.set(c.category, list);
  }
  const rank = (cat: string) => {
    const i = CATEGORY_ORDER.indexOf(cat);
    return i === -1 ? CATEGORY_ORDER.length : i;
  };
  return [...groups.entries()]
    .map(([category, list], order) => ({ category, checks: list, order }))
    .sort((a, b) => rank(a.category) - rank(b.category) || a.order - b.order)
    .map(({ category, checks: list }) => ({ category, checks: list }));
}
