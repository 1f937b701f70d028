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
