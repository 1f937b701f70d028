// The `backup` category's checks, in run order: the read-only archiving check first, then the round trip that writes a scratch database, then the restore drill of the team's own backups (into a private server).
import type { Check } from '../types.js';
import { archivingCheck } from './archiving.js';
import { restoreDrillCheck } from './restore-drill.js';
import { roundtripCheck } from './roundtrip.js';

export const backupChecks: Check[] = [archivingCheck, roundtripCheck, restoreDrillCheck];
