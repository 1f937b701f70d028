// Catalog queries of pool.server. Deliberately no `query` column: statement text may carry literals (names, amounts).

/** Client sessions of the whole cluster (max_connections is cluster-wide), with ages in seconds. */
export const CLIENT_SESSIONS = `
SELECT pid,
       datname,
       usename,
       application_name,
       host(client_addr) AS client_addr,
       state,
       wait_event_type,
       extract(epoch FROM now() - state_change)::float8 AS state_s,
       extract(epoch FROM now() - xact_start)::float8 AS xact_s,
       extract(epoch FROM now() - backend_start)::float8 AS backend_s,
       pid = pg_backend_pid() AS self
  FROM pg_stat_activity
 WHERE backend_type = 'client backend'`;

/** Connection limits and the timeouts that end forgotten sessions; settings a version lacks come back NULL. */
export const CONNECTION_SETTINGS = `
SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
       current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction_session_timeout,
       current_setting('idle_session_timeout', true) AS idle_session_timeout`;
