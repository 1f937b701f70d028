// The `pool` category's checks, in run order: the server's and PgBouncer's state first, before our own load changes them.
import type { Check } from '../types.js';
import { acquireCheck } from './acquire.js';
import { contentionCheck } from './contention.js';
import { pgbouncerCheck } from './pgbouncer.js';
import { serverCheck } from './server.js';
import { sizingCheck } from './sizing.js';

export { acquireCheck, contentionCheck, pgbouncerCheck, serverCheck, sizingCheck };
export { judgeSweep, measurablyBetter, meetsP95, figuresOf, roundOrder, settledOnConfigured, sizesToTry, sweepLimit, configuredShortfall, coreLimitFor, type SizeSamples, type SizeFigures, type SweepVerdict } from './sweep.js';
export { serverCores } from './cores.js';
export { analyseSessions, type SessionRow } from './server-analysis.js';

export const poolChecks: Check[] = [serverCheck, pgbouncerCheck, acquireCheck, contentionCheck, sizingCheck];
