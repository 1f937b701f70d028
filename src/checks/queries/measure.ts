// Measures one query under a closed loop of VUs, each on its own measuring session (one round trip per execution),
// with a no-op round trip interleaved on the same sessions: the share of a latency that is the network and the client.
import { runClosedLoop } from '../../exec/closed-loop.js';
import { Recorder } from '../../exec/recorder.js';
import type { ExecResult } from '../../exec/types.js';
import { MetricRegistry } from '../../metrics/registry.js';
import { describeError } from '../../util/errors.js';
import { createRng, type Rng } from '../../workload/prng.js';
import type { CheckContext } from '../types.js';
import type { QuerySessions } from './sessions.js';

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
/** One iteration in NOOP_EVERY runs the no-op instead of the statement. */
const NOOP_EVERY = 16;

export function defaultDurationMs(ctx: CheckContext): number {
  return (ctx.config.queries.duration_s ?? (ctx.mode === 'full' ? 10 : 1.5)) * 1000;
}

function describeQueryMetrics(ctx: CheckContext): void {
  ctx.metrics
    .describe('query_duration', { meaning: 'latency', description: 'one execution of the statement: one round trip (Bind/Execute/Sync of the prepared statement), network and client included' })
    .describe('query_noop_duration', { meaning: 'duration', description: "a prepared SELECT 1 on the same sessions, every 16th iteration of each VU: the network's and the client's own share of query_duration" })
    .describe('query_errors', { meaning: 'share', better: 'lower', description: 'executions that failed, over executions attempted' })
    .describe('query_error_kinds', { meaning: 'count', better: 'lower' })
    .describe('query_throughput', { meaning: 'throughput', description: 'successful executions per second over the measuring time' });
  ctx.metrics.headline('query_duration');
}

/** `index` selects the query's own PRNG stream, so its keys do not depend on which queries ran before it. */
export async function measureQuery(ctx: CheckContext, sessions: QuerySessions, q: MeasuredQuery, index: number, seedStream: number): Promise<QueryOutcome> {
  const recorder = new Recorder({ registry: ctx.metrics, name: 'query', tags: { query: q.name }, elapsed: ctx.elapsed });
  describeQueryMetrics(ctx);
  const noop = ctx.metrics.trend('query_noop_duration', { query: q.name });
  // The executor's own samples mix statements and no-ops and are not reported: each is timed below.
  const driver = new Recorder({ registry: new MetricRegistry(), name: 'iteration', elapsed: ctx.elapsed });
  const stop = new AbortController();
  let firstError: unknown;
  const vus = sessions.all.length;
  const rngs = Array.from({ length: vus }, (_, vu) => createRng(ctx.config.workload.seed, seedStream, index, vu));
  const requests: Array<Buffer | undefined> = new Array(vus);

  const fn = async (vu: number, iteration: number): Promise<void> => {
    let session = sessions.all[vu]!;
    try {
      if (session.lost) session = await sessions.of(vu);
    } catch (err) {
      // The session was lost and no new one opens: the server is gone for now, this query stops with the reason.
      firstError ??= err;
      recorder.fail(err);
      stop.abort();
      throw err;
    }
    if (iteration % NOOP_EVERY === NOOP_EVERY - 1) {
      const t0 = performance.now();
      await session.run(session.noopRequest());
      noop.record(performance.now() - t0);
      return;
    }
    try {
      // Parsed once per session, on its first execution: a statement the server refuses fails here like any execution.
      if (!session.isPrepared(q.statement)) await session.prepare(q.statement, q.text);
      let request = requests[vu];
      if (!request) {
        request = session.request(q.statement, q.params(rngs[vu]!));
        if (q.fixedParams) requests[vu] = request;
      }
      const t0 = performance.now();
      await session.run(request);
      recorder.ok(performance.now() - t0);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // A statement we cancelled ourselves on Ctrl-C or at the time budget is not the query's failure.
      if (code === QUERY_CANCELED && ctx.signal.aborted) throw err;
      recorder.fail(err);
      firstError ??= err;
      if (PERMANENT.test(typeof code === 'string' ? code : '')) stop.abort();
      throw err;
    }
  };

  const onAbort = () => void sessions.cancelAll();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  recorder.start();
  let result: ExecResult;
  try {
    result = await runClosedLoop({
      vus, durationMs: defaultDurationMs(ctx), signal: AbortSignal.any([ctx.signal, stop.signal]),
      // The server's statement_timeout (operation_ms) ends a slow statement first, the session's watchdog cancels and
      // then drops it; this only guards the loop itself.
      timeoutMs: ctx.config.timeouts.operation_ms + 5000, recorder: driver, fn,
    });
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
    ctx.metrics.gauge('query_throughput', { query: q.name }, 'req/s').set(throughput);
    ctx.rate('response_time_ms', `query_duration{query:${q.name}}`, p95);
    ctx.rate('throughput_rps', `query_throughput{query:${q.name}}`, throughput);
  }
  const errors = recorder.errors.hits;
  const outcome: QueryOutcome = { query: q, count, errors, p95, throughput };
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
