// Runs one check in its context: time budget, needs, errors as values, deferred cleanup, then thresholds -> status.
import type { Check, Need, Targets } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { serializeMetrics, serializeSeries } from '../metrics/serialize.js';
import type { CheckResult } from '../result/model.js';
import { describeError, SkipCheck, TargetUnavailableError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { evaluateThresholds, statusFromOutcomes } from '../verdict/evaluate.js';
import { rulesForCheck } from '../verdict/rules.js';
import { createContext, type SharedResources } from './context.js';

export interface RunCheckArgs {
  check: Check;
  config: Config;
  targets: Targets;
  unavailable: Partial<Record<Need, string>>;
  broken: Set<Need>;
  shared: SharedResources;
  signal: AbortSignal;
  log: Logger;
  onProgress: (text: string) => void;
}

export function skippedResult(check: Check, reason: string): CheckResult {
  return {
    id: check.id, category: check.category, title: check.title, status: 'skip', reason,
    startedAt: new Date().toISOString(), durationMs: 0, metrics: [], timeSeries: [], thresholds: [], ratings: [], findings: [], info: {},
  };
}

export async function runCheck(a: RunCheckArgs): Promise<CheckResult> {
  const { check, config, log } = a;
  // BullMQ lives on Redis: the need is met exactly when Redis is there.
  const missing = check.needs.find((n) => !a.targets[n === 'bullmq' ? 'redis' : n]);
  if (missing) {
    const service = missing === 'bullmq' ? 'redis' : missing;
    const reason = a.unavailable[service] ?? `${missing} is not configured`;
    // Not configured is a skip; configured but unreachable is a failure the user must see (exit code 1).
    return a.broken.has(service) ? { ...skippedResult(check, reason), status: 'fail' } : skippedResult(check, reason);
  }

  const rules = rulesForCheck(check, config);
  const budget = AbortSignal.timeout(config.timeouts.check_ms);
  const signal = AbortSignal.any([a.signal, budget]);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const { ctx, state } = createContext({ config, readOnly: config.read_only, signal, targets: a.targets, log: log.child({ check: check.id }), shared: a.shared, onProgress: a.onProgress });

  let thrown: unknown;
  try {
    await check.run(ctx);
  } catch (err) {
    thrown = err;
  } finally {
    for (const fn of state.deferred.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error({ check: check.id, err: redactText(describeError(err)) }, 'check cleanup failed');
      }
    }
  }
  const durationMs = performance.now() - t0;
  const metrics = serializeMetrics(state.metrics, durationMs / 1000);
  const base: CheckResult = {
    id: check.id, category: check.category, title: check.title, status: 'pass', startedAt, durationMs,
    metrics, timeSeries: serializeSeries(state.metrics), thresholds: [], ratings: state.ratings, findings: state.findings, info: state.info,
  };
  if (thrown instanceof SkipCheck || thrown instanceof TargetUnavailableError) {
    return { ...base, status: 'skip', reason: redactText(thrown.message) };
  }
  if (thrown !== undefined) {
    const why = budget.aborted ? `did not finish within its time budget of ${config.timeouts.check_ms} ms` : redactText(describeError(thrown));
    log.error({ check: check.id, err: why }, 'check failed');
    return { ...base, status: 'fail', reason: why, thresholds: evaluateThresholds(metrics, rules) };
  }
  const thresholds = evaluateThresholds(metrics, rules);
  const status = a.signal.aborted ? 'skip' : statusFromOutcomes(thresholds);
  return { ...base, status, thresholds, ...(a.signal.aborted ? { reason: 'interrupted before the check finished' } : {}) };
}
