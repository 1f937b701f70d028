// The `health` category's checks, in run order: activity first (a snapshot before our own reads add sessions), then
// statements, indexes, vacuum, replication and the server's counters. All read-only: they run under --read-only.
import type { Check } from '../types.js';
import { activityCheck } from './activity.js';
import { indexesCheck } from './indexes.js';
import { replicationCheck } from './replication.js';
import { serverCheck } from './server.js';
import { statementsCheck } from './statements.js';
import { vacuumCheck } from './vacuum.js';

export { activityCheck, indexesCheck, replicationCheck, serverCheck, statementsCheck, vacuumCheck };

export const healthChecks: Check[] = [activityCheck, statementsCheck, indexesCheck, vacuumCheck, replicationCheck, serverCheck];
