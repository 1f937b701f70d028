// The metrics the pool checks record, each declared once (src/metrics/declare.ts).
import { operationMetrics } from '../../exec/recorder.js';
import { metric } from '../../metrics/declare.js';
import { unit } from '../../metrics/unit.js';

export const ACQUIRE_DURATION = metric.trend({ name: 'acquire_duration', meaning: 'latency', description: 'One connection acquire and its first SELECT 1, by kind: a new connection (cold) or one from a warm pool (warm); through PgBouncer (pooled) or straight to PostgreSQL (direct)', unit: unit.ms });
export const ACQUIRE_ERROR_KINDS = metric.counter({ name: 'acquire_error_kinds', meaning: 'defects', perSecond: true, description: 'Acquires that failed for another reason, by error kind', unit: unit.count() });
export const ACQUIRE_SUCCESS = metric.rate({ name: 'acquire_success', better: 'higher', description: 'Acquires that got a connection over acquires attempted (those still waiting at the end included)' });
export const ACQUIRE_TIMEOUTS = metric.counter({ name: 'acquire_timeouts', meaning: 'defects', perSecond: true, description: 'Acquires that gave up waiting, or were still waiting when the check ended', unit: unit.count() });
export const CONFIGURED_SIZE_SHORTFALL = metric.gauge({ name: 'configured_size_shortfall', meaning: 'share', better: 'lower', description: 'How far the configured size falls below the best throughput; 0 when within the noise', unit: unit.ratio });
export const CONNECTIONS = metric.gauge({ name: 'connections', meaning: 'state', description: 'Client sessions by state', unit: unit.count("connections") });
export const CONNECTIONS_USABLE = metric.gauge({ name: 'connections_usable', meaning: 'state', description: 'max_connections less the slots reserved for superusers and reserved roles', unit: unit.count("connections") });
export const CONNECTIONS_USED = metric.gauge({ name: 'connections_used', meaning: 'state', description: 'Client sessions open on the server, all databases', unit: unit.count("connections") });
export const CONNECTION_ERROR_KINDS = metric.counter({ name: 'connection_error_kinds', meaning: 'defects', perSecond: true, description: 'Failed new connections by error kind', unit: unit.count() });
export const CONNECTION_HEADROOM = metric.gauge({ name: 'connection_headroom', meaning: 'share', better: 'higher', description: 'Free usable connection slots over usable slots (max_connections less the reserved ones)', unit: unit.ratio });
export const CONNECTION_SUCCESS = metric.rate({ name: 'connection_success', better: 'higher', description: 'Acquires that succeeded over acquires attempted' });
export const IDLE_IN_TRANSACTION_SESSIONS = metric.counter({ name: 'idle_in_transaction_sessions', meaning: 'defects', description: 'Sessions idle in a transaction for longer than pool.idle_in_transaction_s', unit: unit.count("sessions") });
export const LONG_IDLE_CONNECTIONS = metric.counter({ name: 'long_idle_connections', meaning: 'count', description: 'Connections idle for longer than pool.long_idle_s', unit: unit.count("connections") });
export const PGBOUNCER_CLIENTS_WAITING = metric.gauge({ name: 'pgbouncer_clients_waiting', meaning: 'state', better: 'lower', description: 'Clients waiting for a server connection (cl_waiting), summed over pools', unit: unit.count("clients") });
export const PGBOUNCER_CL_ACTIVE_SERIES = metric.series({ name: 'pgbouncer_cl_active', unit: unit.count("clients") });
export const PGBOUNCER_CL_WAITING_SERIES = metric.series({ name: 'pgbouncer_cl_waiting', unit: unit.count("clients") });
export const PGBOUNCER_MAX_WAIT_MS = metric.gauge({ name: 'pgbouncer_max_wait_ms', meaning: 'state', better: 'lower', description: 'Longest time a client has been waiting (maxwait)', unit: unit.ms });
export const PGBOUNCER_SV_ACTIVE_SERIES = metric.series({ name: 'pgbouncer_sv_active', unit: unit.count("connections") });
export const POOL_IDLE_SERIES = metric.series({ name: 'pool_idle', unit: unit.count("connections") });
export const POOL_TOTAL_SERIES = metric.series({ name: 'pool_total', unit: unit.count("connections") });
export const POOL_WAITING_PEAK = metric.gauge({ name: 'pool_waiting_peak', meaning: 'state', description: 'Most requests waiting for a connection at one sample', unit: unit.count("requests") });
export const POOL_WAITING_SERIES = metric.series({ name: 'pool_waiting', unit: unit.count("requests") });
export const POOL_WAIT_DURATION = metric.trend({ name: 'pool_wait_duration', meaning: 'duration', description: 'The part of a request spent waiting for a pooled connection', unit: unit.ms });
export const RECOMMENDED_POOL_SIZE = metric.gauge({ name: 'recommended_pool_size', meaning: 'state', description: 'The size to run: measurably better than the configured one, or the configured one when no size is', unit: unit.count("connections") });
export const REQUEST_THROUGHPUT = metric.gauge({ name: 'request_throughput', meaning: 'throughput', operation: { name: 'request', role: 'throughput' }, description: 'Requests completed successfully per second under contention', unit: unit.perSecond("req") });
export const SWEEP_THROUGHPUT = metric.gauge({ name: 'sweep_throughput', meaning: 'throughput', operation: { name: 'sweep', role: 'throughput' }, description: 'Successful requests per second at one pool size: the median of the rounds (min and max kept)', unit: unit.perSecond("req") });

/** pool.contention's requests: each waits for a pooled connection, then holds it. */
export const REQUEST = operationMetrics('request', {
  meaning: 'latency', noun: 'requests', description: 'One request: waiting for a pooled connection, then holding it for pool.hold_ms',
  errors: 'Requests that failed or timed out over requests attempted',
});
/** pool.sizing's requests: the sweep runs deliberately bad sizes, so its times describe the sweep, not the app's response time. */
export const SWEEP = operationMetrics('sweep', {
  meaning: 'duration', noun: 'requests', description: 'Request time at one pool size, waiting for a connection included, all rounds',
  errors: 'Failed requests over attempted requests at one pool size',
});
/** Each sweep round's throughput at one pool size, in the order the rounds ran: the live view draws the sweep from it. */
export const SWEEP_ROUND_THROUGHPUT_SERIES = metric.series({ name: 'sweep_round_throughput', unit: unit.perSecond('req') });
