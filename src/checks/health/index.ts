// The `health` category's checks, in run order: activity first (a snapshot before our own reads add sessions), then
// statements, indexes and vacuum. All read-only: they run under --read-only.
import type { Check } from '../types.js';
import { indexesCheck } from './indexes.js';
import { statementsCheck } from './statements.js';

export { indexesCheck, statementsCheck };

export const healthChecks: Check[] = [statementsCheck, indexesCheck];
