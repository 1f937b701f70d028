// Measures one query under a closed loop of VUs, each on its own measuring session (one round trip per execution),
// with a no-op round trip interleaved on the same sessions: the share of a latency that is the network and the client.
import { runCallbackLoop, type CallbackLoopResult } from '../../exec/callback-loop.js';
import { Recorder } from '../../exec/recorder.js';
import type { MeasureSession } from '../../targets/pg/wire/session.js';
import { describeError } from '../../util/errors.js';
import { createRng, type Rng } from '../../workload/prng.js';
import type { CheckContext } from '../types.js';
import type { QuerySessions } from './sessions.js';
import { QUERY, QUERY_NOOP_DURATION, QUERY_THROUGHPUT } from './metrics.js';
import { settleRuleFor, type SettleRule } from '../../exec/settle.js';

export interface MeasuredQuery {
  /** Metric tag (`query_duration{query:NAME}`) and report name. */
  name: string;
  text: string;
  /** Named prepared statement: parsed once per connection, as an app's driver does; also forces one statement only. */
  statement: string;
  params(rng: Rng): unknown[];
  /** params() returns the same values every time (config.queries.custom): each VU encodes its request once. */
  fixedParams?: boolean;
  /** The user's own SQL: runs on read-only sessions (see targets/pg/wire/session.ts), one statement per execution. */
  isolate: boolean;
  /** The statement writes: its EXPLAIN ANALYZE runs in a read-write transaction that is rolled back. */
  writes: boolean;
  /** The p95 this query is judged against (ms), to grade its EXPLAIN findings. */
  limitMs: number;
}

export interface QueryOutcome {
  query: MeasuredQuery;
  count: number;
  errors: number;
  p95: number;
  throughput: number;
  /** How long the query ran: the whole window, or less once its percentiles settled (settleRule). */
  windowMs: number;
  /** p50 of the query and of the no-op round trip beside it (ms); undefined when either has no sample. */
  p50?: number;
  noopP50?: number;
  firstError?: string;
}

/**
 * SQLSTATE classes that will fail the same way on every try (syntax, undefined object, privilege, read-only, unsupported):
 * after the first, the query stops instead of flooding the server log with identical errors.
 */
const PERMANENT = /^(42|0A|3D|3F|25006)/;
const QUERY_CANCELED = '57014';
/**
 * A VU runs the no-op instead of the statement after at least NOOP_EVERY statements and NOOP_INTERVAL_MS since its
 * last one: a sample every 50 ms per VU is plenty for a p50, and costs a fast query under 1 % of its executions
 * (every 16th iteration cost it 6 %); a slow query still gets one in 17.
 */
const NOOP_EVERY = 16;
const NOOP_INTERVAL_MS = 50;

export function defaultDurationMs(ctx: CheckContext): number {
  return (ctx.config.queries.duration_s ?? (ctx.mode === 'full' ? 10 : 1.5)) * 1000;
}

/**
 * The rule a check's default windows end on (src/exec/settle.ts: its count, floor and noise model), or undefined when
 * every window runs whole: an explicit queries.duration_s, or thresholds the config sets for the check itself
 * (config.checks[id].thresholds), which may judge a p99.9. A fast query (a lookup, thousands a second) settles in a
 * fraction of the window, a slow one (amortisation_schedule, a few hundred a second) keeps the whole window: the fixed
 * 10 s windows full mode had before gave a lookup 190,000 executions and the slow statements 1,000-2,700; now the
 * lookups stop at 2 s and the slow ones still run the whole 10 s. The floor also spans the no-op samples beside them.
 */
export function settleRule(ctx: CheckContext, checkId: string): SettleRule | undefined {
  return settleRuleFor(ctx.mode, ctx.config.queries.duration_s !== undefined, ctx.config.checks[checkId]?.thresholds);
}

function describeQueryMetrics(ctx: CheckContext): void {
  ctx.metrics.headline(QUERY.duration);
}

/** `index` selects the query's own PRNG stream, so its keys do not depend on which queries ran before it. */
/** `settle`: the rule the window may end on once the percentiles are settled (settleRule); undefined: the whole window. */
export async function measureQuery(ctx: CheckContext, sessions: QuerySessions, q: MeasuredQuery, index: number, seedStream: number, settle: SettleRule | undefined): Promise<QueryOutcome> {
  const recorder = new Recorder({ registry: ctx.metrics, metrics: QUERY, tags: { query: q.name }, elapsed: ctx.elapsed });
  describeQueryMetrics(ctx);
  const noop = ctx.metrics.trend(QUERY_NOOP_DURATION, { query: q.name });
  const stop = new AbortController();
  // Apart from `stop`: a settled query ended well, it did not stop on a repeating error.
  const settled = new AbortController();
  const settleAt = settle ? performance.now() + settle.minMs : undefined;
  const settleSamples = settle?.samples ?? Number.POSITIVE_INFINITY;
  let firstError: unknown;
  const vus = sessions.all.length;
  const rngs = Array.from({ length: vus }, (_, vu) => createRng(ctx.config.workload.seed, seedStream, index, vu));
  const requests: Array<Buffer | undefined> = new Array(vus);
  const sinceNoop = new Uint32Array(vus);
  const nextNoopAt = new Float64Array(vus);

  const failed = (err: unknown): void => {
    const code = (err as { code?: unknown }).code;
    // A statement we cancelled ourselves on Ctrl-C or at the time budget is not the query's failure.
    if (code === QUERY_CANCELED && ctx.signal.aborted) return;
    recorder.fail(err);
    firstError ??= err;
    if (PERMANENT.test(typeof code === 'string' ? code : '')) stop.abort();
  };

  /** The rare turns: a lost session replaced, the statement parsed on a session's first execution. */
  const readySession = async (vu: number): Promise<MeasureSession | undefined> => {
    let session: MeasureSession;
    try {
      session = await sessions.of(vu);
    } catch (err) {
      // The session was lost and no new one opens: the server is gone for now, this query stops with the reason.
      firstError ??= err;
      recorder.fail(err);
      stop.abort();
      return undefined;
    }
    try {
      // A statement the server refuses fails here like any execution.
      await session.prepare(q.statement, q.text);
      return session;
    } catch (err) {
      failed(err);
      return undefined;
    }
  };

  // One iteration of a VU: a callback chain on its session, no promise on the hot path (src/exec/callback-loop.ts).
  const step = (vu: number, done: () => void): void => {
    const session = sessions.all[vu]!;
    if (session.lost || !session.isPrepared(q.statement)) {
      void readySession(vu).then((ready) => (ready ? execute(vu, ready, done) : done()));
      return;
    }
    execute(vu, session, done);
  };

  const execute = (vu: number, session: MeasureSession, done: () => void): void => {
    const t0 = performance.now();
    if (++sinceNoop[vu]! > NOOP_EVERY && t0 >= nextNoopAt[vu]!) {
      sinceNoop[vu] = 0;
      nextNoopAt[vu] = t0 + NOOP_INTERVAL_MS;
      session.send(session.noopRequest(), (_, error) => {
        if (!error) noop.record(performance.now() - t0);
        done();
      });
      return;
    }
    let request = requests[vu];
    if (!request) {
      try {
        request = session.request(q.statement, q.params(rngs[vu]!));
      } catch (err) {
        // Parameters that cannot be encoded fail the same way every time: the query stops with the reason.
        failed(err);
        stop.abort();
        return done();
      }
      if (q.fixedParams) requests[vu] = request;
    }
    session.send(request, (_, error) => {
      if (error) failed(error);
      else {
        const t1 = performance.now();
        recorder.ok(t1 - t0);
        if (settleAt !== undefined && t1 >= settleAt && recorder.duration.count >= settleSamples) settled.abort();
      }
      done();
    });
  };

  const onAbort = () => void sessions.cancelAll();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  recorder.start();
  let result: CallbackLoopResult;
  try {
    // Each execution is bounded by its session: the server's statement_timeout (operation_ms) first, then the
    // session's watchdog, which cancels and then drops a late one.
    result = await runCallbackLoop({ vus, durationMs: defaultDurationMs(ctx), signal: AbortSignal.any([ctx.signal, stop.signal, settled.signal]), step });
  } finally {
    recorder.stop();
    ctx.signal.removeEventListener('abort', onAbort);
  }

  const count = recorder.duration.count;
  // Successes only: a statement that fails fast must not look like a fast statement.
  const throughput = result.elapsedMs > 0 ? count / (result.elapsedMs / 1000) : 0;
  const p95 = recorder.duration.percentile(95);
  // A query that never succeeded has no speed to report: its failures are in query_errors and a finding.
  if (count > 0) {
    ctx.metrics.gauge(QUERY_THROUGHPUT, { query: q.name }).set(throughput);
    ctx.rate('response_time_ms', `query_duration{query:${q.name}}`, p95);
    ctx.rate('throughput_rps', `query_throughput{query:${q.name}}`, throughput);
  }
  const errors = recorder.errors.hits;
  const outcome: QueryOutcome = { query: q, count, errors, p95, throughput, windowMs: result.elapsedMs };
  if (count > 0 && noop.count > 0) {
    outcome.p50 = recorder.duration.percentile(50);
    outcome.noopP50 = noop.percentile(50);
  }
  if (firstError !== undefined) {
    outcome.firstError = describeError(firstError);
    ctx.finding({
      severity: 'error',
      subject: q.name,
      title: `query ${q.name} failed: ${outcome.firstError}`,
      detail: `${errors} of ${recorder.errors.total} executions failed${stop.signal.aborted ? '; stopped after the first failures because this error repeats on every try' : ''}.`,
      ...(q.isolate ? { recommendation: `Fix the statement named "${q.name}" in config.queries.custom.` } : {}),
      data: { query: q.name, errors, executions: recorder.errors.total },
    });
  }
  return outcome;
}
