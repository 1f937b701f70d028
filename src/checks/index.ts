// The built-in checks, in the order a run executes them.
import { queriesChecks } from './queries/index.js';
import type { Check } from './types.js';

export const builtinChecks: Check[] = [...queriesChecks];
