// The metrics the queries checks record, each declared once (src/metrics/declare.ts).
import { operationMetrics } from '../../exec/recorder.js';
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';

export const QUERY_NOOP_DURATION = metric.trend({ name: 'query_noop_duration', meaning: 'duration', controlFor: 'query_duration', description: "a prepared SELECT 1 on the same sessions, in place of a statement on each VU at most every 17th iteration and every 50 ms: the network's and the client's own share of query_duration", unit: unit.ms });
export const QUERY_THROUGHPUT = metric.gauge({ name: 'query_throughput', meaning: 'throughput', operation: { name: 'query', role: 'throughput' }, description: 'successful executions per second over the measuring time', unit: unit.perSecond("req") });

/** One execution of a measured statement, each a user-visible operation timed once. */
export const QUERY = operationMetrics('query', {
  meaning: 'latency', noun: 'executions',
  description: 'one execution of the statement: one round trip (Bind/Execute/Sync of the prepared statement), network and client included',
  errors: 'executions that failed, over executions attempted',
});

/** Everything a queries check records. */
export const QUERY_METRICS = [...QUERY.all, QUERY_NOOP_DURATION, QUERY_THROUGHPUT];
