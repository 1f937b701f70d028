// Runs a whole stackprobe run: open targets, run the selected checks in order, clean up everything, build the result.
import { recommendations } from '../advice/recommend.js';
import type { Check, Need } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { SCHEMA_VERSION, type CheckResult, type RunResult } from '../result/model.js';
import { measureProcess, summarize } from '../result/summary.js';
import type { Logger } from '../util/logger.js';
import { rulesForCheck } from '../verdict/rules.js';
import { validateCheckNames } from '../config/check-ids.js';
import { appendAll } from '../util/append.js';
import { SharedResources } from './context.js';
import { environment } from '../result/environment.js';
import { runCheck, skippedResult } from './run-check.js';
import { selectChecks } from './select.js';
import type { CheckSnapshot, RunEvent } from '../result/events.js';
import { estimateMs } from './estimate.js';
import { neededServices, openTargets, requiredServices, serviceName, type OpenTargets } from './targets.js';

export type { RunEvent } from '../result/events.js';

export interface RunOptions {
  config: Config;
  checks: Check[];
  /** Ctrl-C: stops the current check, cleans up, and returns a result marked `interrupted`. */
  signal: AbortSignal;
  log: Logger;
  onEvent?: (event: RunEvent) => void;
}

/**
 * Why a check will not run, when that is known once the targets are opened: a configured service that could not be
 * opened stops the whole run (one line says which and why; each check points at it instead of repeating it), and a
 * service that is simply not configured skips the checks that need it.
 */
function knownSkip(check: Check, opened: OpenTargets, stoppers: Set<Need>, aborted: boolean): string | undefined {
  if (aborted) return undefined;
  if (stoppers.size > 0) {
    // One reason for every check (also those that did not need it: the run stopped), so it reads as one line.
    return `not run: ${[...stoppers].map(serviceName).join(' and ')} could not be opened (the reason is at the top of the report)`;
  }
  const missing = check.needs.find((n) => !opened.targets[n === 'bullmq' ? 'redis' : n]);
  if (!missing) return undefined;
  const service = missing === 'bullmq' ? 'redis' : missing;
  return opened.unavailable[service] ?? `${missing} is not configured`;
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
  emit({ type: 'plan', checks: [...selection.run, ...selection.skipped.map((s) => s.check)].map((c) => ({ id: c.id, title: c.title, category: c.category, estimateMs: estimateMs(c, config) })) });

  // Checks skipped by --skip, config or --read-only are shown as skipped from the start, not as pending.
  const deselected = selection.skipped.map(({ check, reason }) => skippedResult(check, reason));
  for (const result of deselected) emit({ type: 'check-end', result });

  const results: CheckResult[] = [];
  const shared = new SharedResources();
  const required = requiredServices(selection.run);
  const opened = await openTargets(config, log, (text) => emit({ type: 'setup', text }), { needs: neededServices(selection.run), required, signal: opts.signal });
  // Only a service some check cannot do without stops the run; one merely used when there (load steps on Redis) does not.
  const stoppers = new Set([...opened.broken].filter((n) => required.has(n as Exclude<Need, 'bullmq'>)));
  const unopened = Object.fromEntries([...stoppers].map((need) => [need, opened.unavailable[need] ?? 'could not be opened']));
  // Known before any check starts: shown as skipped at once rather than pending.
  const early = new Map<string, CheckResult>();
  for (const check of selection.run) {
    const reason = knownSkip(check, opened, stoppers, opts.signal.aborted);
    if (reason) early.set(check.id, skippedResult(check, reason));
  }
  for (const result of early.values()) emit({ type: 'check-end', result });
  try {
    for (const check of selection.run) {
      const known = early.get(check.id);
      if (known) {
        results.push(known);
        continue;
      }
      if (opts.signal.aborted) {
        results.push(skippedResult(check, 'interrupted before it started'));
        continue;
      }
      let peek: (() => CheckSnapshot) | undefined;
      emit({ type: 'check-start', id: check.id, peek: () => peek?.() });
      const result = await runCheck({
        check, config, targets: opened.targets, unavailable: opened.unavailable, broken: opened.broken, shared, signal: opts.signal, log,
        onProgress: (text) => emit({ type: 'check-progress', id: check.id, text }),
        onLive: (p) => { peek = p; },
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
  appendAll(results, deselected);

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
    environment: environment(opened.facts, opened.unavailable as Record<string, string>, unopened),
    checks: results,
    summary,
    recommendations: recommendations(results, summary),
  };
}
