// Runs one check in its context: time budget, needs, errors as values, deferred cleanup, then thresholds -> status.
import type { Check, HeadlineView, Need, Targets } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { serializeMetrics, serializeSeries } from '../metrics/serialize.js';
import type { CheckSnapshot } from '../result/events.js';
import { HeadlineSchema, type CheckResult } from '../result/model.js';
import { describeError, SkipCheck, TargetUnavailableError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { startSaturationProbe } from '../resources/saturation.js';
import { evaluateThresholds, statusFromOutcomes } from '../verdict/evaluate.js';
import { distrustUnderSaturation, hostNote } from '../verdict/saturation.js';
import { rulesForCheck } from '../verdict/rules.js';
import { createContext, type SharedResources } from './context.js';
import { withTimeout } from '../exec/timeout.js';
import { isLostSession } from '../targets/pg/lost-session.js';
import { scopeTargets } from './scoped-targets.js';

/**
 * The budget is hard and ends where it says: a check's signal aborts GRACE_MS before its budget (a fifth of a short
 * budget), so a check that honours it returns within the budget; at the budget itself every session it opened is closed
 * under it and its verdict and duration are taken then. It used to be asked at the budget and stopped 2 s later.
 */
const GRACE_MS = 2000;
/** After its sessions are closed at the budget, how long a check has to return before it is abandoned (cleanup time). */
const SETTLE_MS = 2000;

/**
 * The check's headline chart from its figures (its `headline` hook), checked against run.json's schema at the end; a
 * hook that throws or draws something run.json cannot hold leaves the check without one, never the run without a result.
 */
function headlineOf(check: Check, view: HeadlineView, log: Logger, final: boolean): Pick<CheckResult, 'headline'> {
  if (!check.headline) return {};
  try {
    const drawn = check.headline(view);
    if (!drawn) return {};
    if (!final) return { headline: drawn };
    const checked = HeadlineSchema.safeParse(drawn);
    if (checked.success) return { headline: checked.data };
    log.error({ check: check.id, err: checked.error.message }, 'headline chart left out');
  } catch (err) {
    log.error({ check: check.id, err: redactText(describeError(err)) }, 'headline chart left out');
  }
  return {};
}

type Outcome = { kind: 'returned' } | { kind: 'threw'; err: unknown } | { kind: 'overran' };

/** The hard stop: resolves at the budget, or `graceMs` after Ctrl-C; `cancel` clears its timers (they keep the process alive). */
function hardStop(budgetMs: number, graceMs: number, interrupt: AbortSignal): { promise: Promise<Outcome>; cancel: () => void } {
  const timers: NodeJS.Timeout[] = [];
  let onInterrupt = () => undefined as void;
  const promise = new Promise<Outcome>((resolve) => {
    const stop = (ms: number) => timers.push(setTimeout(() => resolve({ kind: 'overran' }), ms));
    stop(budgetMs);
    onInterrupt = () => stop(graceMs);
    if (interrupt.aborted) onInterrupt();
    else interrupt.addEventListener('abort', onInterrupt, { once: true });
  });
  return {
    promise,
    cancel: () => {
      for (const t of timers) clearTimeout(t);
      interrupt.removeEventListener('abort', onInterrupt);
    },
  };
}

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
  /** Given a way to read what the check has recorded so far (the live view's charts move with it). */
  onLive?: (peek: () => CheckSnapshot) => void;
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
  // A timer that keeps the process alive (AbortSignal.timeout's does not): a check stuck on a promise that nothing will
  // settle must still meet its deadline, not let the event loop run dry and end the process mid-run.
  const budgetMs = config.timeouts.check_ms;
  const graceMs = Math.min(GRACE_MS, Math.floor(budgetMs / 5));
  const budgetController = new AbortController();
  const budgetTimer = setTimeout(() => budgetController.abort(), budgetMs - graceMs);
  const budget = budgetController.signal;
  const signal = AbortSignal.any([a.signal, budget]);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  // The client's CPU, its event loop and the host's load over the check: are the figures about the target or about us?
  const probe = startSaturationProbe();
  const scoped = scopeTargets(a.targets);
  const { ctx, state } = createContext({ config, readOnly: config.read_only, signal, targets: scoped.targets, runTargets: a.targets, log: log.child({ check: check.id }), shared: a.shared, onProgress: a.onProgress });
  a.onLive?.(() => {
    const seen = { timeSeries: serializeSeries(state.metrics), info: state.info };
    return { ...seen, ...headlineOf(check, { ...seen, metrics: [], findings: state.findings }, log, false) };
  });

  // The budget is hard: a check that has not returned at its budget (or GRACE_MS after Ctrl-C) has every session it
  // opened closed under it, and is abandoned if even that does not make it return within SETTLE_MS.
  let thrown: unknown;
  let abandoned = false;
  let stoppedAtMs: number | undefined;
  const work: Promise<Outcome> = Promise.resolve()
    .then(() => check.run(ctx))
    .then((): Outcome => ({ kind: 'returned' }), (err: unknown): Outcome => ({ kind: 'threw', err }));
  const stop = hardStop(budgetMs, graceMs, a.signal);
  try {
    let outcome = await Promise.race([work, stop.promise]);
    if (outcome.kind === 'overran') {
      stoppedAtMs = performance.now() - t0;
      scoped.stopWatching();
      await scoped.closeAll();
      let settle: NodeJS.Timeout | undefined;
      outcome = await Promise.race([work, new Promise<Outcome>((r) => (settle = setTimeout(() => r({ kind: 'overran' }), SETTLE_MS)))]);
      clearTimeout(settle);
      abandoned = outcome.kind === 'overran';
    }
    if (outcome.kind === 'threw') thrown = outcome.err;
  } finally {
    stop.cancel();
    // The check is over: what its cleanup ends or reconnects is not a session lost under it.
    scoped.stopWatching();
    const cleanupMs = Math.max(config.timeouts.operation_ms, 5000);
    for (const fn of state.deferred.reverse()) {
      try {
        await withTimeout(Promise.resolve().then(fn), cleanupMs, 'a cleanup of the check');
      } catch (err) {
        log.error({ check: check.id, err: redactText(describeError(err)) }, 'check cleanup failed');
      }
    }
    clearTimeout(budgetTimer);
    // Sessions the check forgot to close, or that an abandoned check still holds.
    await scoped.closeAll();
  }
  // A check stopped at its budget took its budget; closing its sessions and its cleanup are the run's time, not its own.
  const durationMs = stoppedAtMs ?? performance.now() - t0;
  const saturation = probe.stop();
  state.info.measurement_saturation = saturation;
  const metrics = serializeMetrics(state.metrics, durationMs / 1000);
  const base: CheckResult = {
    id: check.id, category: check.category, title: check.title, status: 'pass', startedAt, durationMs,
    metrics, timeSeries: serializeSeries(state.metrics), thresholds: [], ratings: state.ratings, findings: state.findings, info: state.info,
  };
  Object.assign(base, headlineOf(check, base, log, true));
  if (thrown instanceof SkipCheck || thrown instanceof TargetUnavailableError) {
    return { ...base, status: 'skip', reason: redactText(thrown.message) };
  }
  if (a.signal.aborted) {
    // Ctrl-C: whatever the check was doing is cut short; that is not a verdict on the system.
    return { ...base, status: 'skip', reason: `interrupted after ${(durationMs / 1000).toFixed(1)} s, before the check finished` };
  }
  if (budget.aborted) {
    const why = `did not finish within its time budget of ${budgetMs} ms (asked to stop ${graceMs} ms before it${stoppedAtMs !== undefined ? ', its sessions closed at the budget' : ''})${abandoned ? '; abandoned: it did not stop when its sessions were closed' : ''}`;
    log.error({ check: check.id, err: why, cause: thrown === undefined ? undefined : redactText(describeError(thrown)) }, 'check failed');
    return { ...base, status: 'fail', reason: why, thresholds: evaluateThresholds(metrics, rules) };
  }
  if (thrown !== undefined) {
    // "write EPIPE" alone tells a user nothing: say that a session was lost, then the driver's words.
    const said = describeError(thrown);
    const why = redactText(isLostSession(thrown) && !/\blost\b/i.test(said) ? `a session was lost (the server ended it or the connection dropped): ${said}` : said);
    log.error({ check: check.id, err: why }, 'check failed');
    return { ...base, status: 'fail', reason: why, thresholds: evaluateThresholds(metrics, rules) };
  }
  // A session lost under the check fails it, naming the session, even when the check caught the error and went on.
  const lostSession = scoped.watch.describe();
  if (lostSession) {
    const why = redactText(lostSession);
    log.error({ check: check.id, err: why }, 'check failed');
    return { ...base, status: 'fail', reason: why, thresholds: evaluateThresholds(metrics, rules) };
  }
  // A timing miss taken while stackprobe itself could not keep up is untrusted (its own status and exit code), never a
  // pass; a host busy with other work is said beside the figures and changes no verdict.
  const verdict = distrustUnderSaturation(evaluateThresholds(metrics, rules), metrics, saturation, { failWhenSaturated: config.fail_when_saturated });
  if (verdict.note) base.findings.push({ severity: 'warn', subject: 'measurement', title: 'timing verdict untrusted: stackprobe\'s own client was saturated', detail: verdict.note, recommendation: 'Run again on a larger client (or with less load per process), or set fail_when_saturated: true to count such a miss as a failure.' });
  const busy = hostNote(saturation, metrics);
  if (busy) base.info = { ...base.info, host_busy: busy };
  return { ...base, status: statusFromOutcomes(verdict.outcomes), thresholds: verdict.outcomes };
}
