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
