// The built-in categories, their titles and their order, apart from the checks themselves: reports, `compare` and
// `history` group a run's checks by category, and importing the checks for that loaded every driver (pg, ioredis,
// libpg-query, amqplib) into commands that only read run files.

/** What each built-in category is called in reports, in run order (the order of src/checks/index.ts). */
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

const CATEGORY_ORDER = Object.keys(categoryTitles);

/** Checks grouped by category, the built-in categories in run order, plugin categories after in order of appearance. */
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
