// The sweep's short, read-only query mix and its catalog query: nothing here needs a table of the application's.

/**
 * One request is one statement, in turn: an indexed catalog lookup and a small CPU-bound aggregation (~1 ms). A server
 * wait (pg_sleep) in the mix was tried and dropped: it makes throughput grow with pool size whatever the server's cores.
 */
export const MIX: Array<{ text: string; values: unknown[] }> = [
  { text: 'SELECT relname, relkind FROM pg_catalog.pg_class WHERE relname = $1', values: ['pg_class'] },
  { text: 'SELECT sum(i) FROM generate_series(1, $1::int) AS i', values: [5000] },
];

/** Connection slots: the limit, those reserved for superusers, and client sessions open now (all databases). */
export const CONNECTION_BUDGET = `
SELECT current_setting('max_connections')::int AS max,
       current_setting('superuser_reserved_connections')::int AS reserved,
       (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use`;
