// Test helper: runs backup.restore_drill through the runner against a live URL, with the ledger's invariant, and reads
// its figures back.
import { restoreDrillCheck } from '../../src/checks/backup/restore-drill.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { BALANCED_INVARIANT } from './drill-fixture.js';

export async function runDrill(url: string, backup: ConfigInput['backup'], extra: Omit<ConfigInput, 'database_url' | 'backup'> = {}): Promise<CheckResult> {
  const config = validateConfig({ database_url: url, backup, integrity: { invariants: [BALANCED_INVARIANT] }, ...extra });
  const result = await run({ config, checks: [restoreDrillCheck], signal: new AbortController().signal, log: silentLogger() });
  return result.checks[0]!;
}

export const drillMetric = (c: CheckResult, name: string) =>
  c.metrics.find((m) => m.name === name) as { summary?: { max: number }; count?: number; value?: number } | undefined;

/** One source's figures in the check's info (`info.drill_<source>`). */
export type DrillInfo = { tool: string; restoreS: number; consistencyS: number; rtoS: number; recoveryPoint?: string; changedSinceBackup: number };
