// Runs a whole stackprobe run: open targets, run the selected checks in order, clean up everything, build the result.
import { recommendations } from '../advice/recommend.js';
import type { Check } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { SCHEMA_VERSION, type CheckResult, type RunResult } from '../result/model.js';
import { measureProcess, summarize } from '../result/summary.js';
import type { Logger } from '../util/logger.js';
import { rulesForCheck } from '../verdict/rules.js';
import { validateCheckNames } from '../config/check-ids.js';
import { SharedResources } from './context.js';
import { environment } from './environment.js';
import { runCheck, skippedResult } from './run-check.js';
import { selectChecks } from './select.js';
import { neededServices, openTargets } from './targets.js';

export type RunEvent =
  | { type: 'plan'; checks: Array<{ id: string; title: string; category: string }> }
  | { type: 'setup'; text: string }
  | { type: 'check-start'; id: string }
  | { type: 'check-progress'; id: string; text: string }
  | { type: 'check-end'; result: CheckResult }
  | { type: 'teardown'; text: string };

export interface RunOptions {
  config: Config;
  checks: Check[];
  /** Ctrl-C: stops the current check, cleans up, and returns a result marked `interrupted`. */
  signal: AbortSignal;
  log: Logger;
  onEvent?: (event: RunEvent) => void;
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const { config, log } = opts;
  const emit = opts.onEvent ?? (() => undefined);
  const startCpu = process.cpuUsage();
  const t0 = performance.now();
  const startedAt = new Date().toISOString();

  // A misspelt check id in only/skip/checks is a config error for library callers too, not a check that silently runs.
  validateCheckNames(config, opts.checks);
  const selection = selectChecks(opts.checks, config);
  // Parse every threshold before touching a server: a typo is a config error (exit 2), not a failed check.
  for (const check of selection.run) rulesForCheck(check, config);
  emit({ type: 'plan', checks: [...selection.run, ...selection.skipped.map((s) => s.check)].map((c) => ({ id: c.id, title: c.title, category: c.category })) });

  const results: CheckResult[] = [];
  const shared = new SharedResources();
  const opened = await openTargets(config, log, (text) => emit({ type: 'setup', text }), { needs: neededServices(selection.run), signal: opts.signal });
  try {
    for (const check of selection.run) {
      if (opts.signal.aborted) {
        results.push(skippedResult(check, 'interrupted before it started'));
        continue;
      }
      emit({ type: 'check-start', id: check.id });
      const result = await runCheck({
        check, config, targets: opened.targets, unavailable: opened.unavailable, broken: opened.broken, shared, signal: opts.signal, log,
        onProgress: (text) => emit({ type: 'check-progress', id: check.id, text }),
      });
      log.info({ check: check.id, status: result.status, reason: result.reason, ms: Math.round(result.durationMs) }, 'check finished');
      results.push(result);
      emit({ type: 'check-end', result });
    }
  } finally {
    emit({ type: 'teardown', text: 'cleaning up' });
    await shared.cleanupAll(log);
    await opened.close();
  }
  for (const { check, reason } of selection.skipped) {
    const result = skippedResult(check, reason);
    results.push(result);
    emit({ type: 'check-end', result });
  }

  const wallMs = performance.now() - t0;
  const summary = summarize(results, measureProcess(startCpu, wallMs), config.thresholds.memory_usage_mb);
  return {
    schemaVersion: SCHEMA_VERSION,
    mode: config.mode,
    readOnly: config.read_only,
    interrupted: opts.signal.aborted,
    startedAt,
    endedAt: new Date().toISOString(),
    durationMs: wallMs,
    environment: environment(opened.facts, opened.unavailable as Record<string, string>),
    checks: results,
    summary,
    recommendations: recommendations(results, summary),
  };
}
