// Catalog queries of health.activity: the sessions of this database, the locks the waiting ones wait for, and what
// holds the oldest xmin of the whole server (sessions, prepared transactions, replication slots).

/** Client sessions of this database other than stackprobe's own; durations in seconds. */
export const SESSIONS_SQL = `
SELECT a.pid, a.usename AS role, coalesce(a.application_name, '') AS application,
       coalesce(host(a.client_addr), CASE WHEN a.client_port = -1 THEN 'local socket' END, '') AS client,
       a.state, a.wait_event_type, a.wait_event,
       extract(epoch FROM now() - a.query_start)::float8 AS query_s,
       extract(epoch FROM now() - a.xact_start)::float8 AS xact_s,
       extract(epoch FROM now() - a.state_change)::float8 AS state_s,
       a.query, pg_blocking_pids(a.pid) AS blocked_by
  FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.backend_type = 'client backend'
   AND a.pid <> pg_backend_pid() AND coalesce(a.application_name, '') NOT LIKE 'stackprobe%'`;

/** What the waiting sessions wait for: the lock not granted, and a tuple lock that names the row's table. */
export const WAITS_SQL = `
SELECT l.pid, l.locktype, l.mode, l.granted,
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END AS relation
  FROM pg_locks l
 WHERE l.pid = ANY($1::int[]) AND (NOT l.granted OR l.locktype = 'tuple')`;

/** The oldest xmin holders of the server, each kind's oldest first; ages in transactions. */
export const XMIN_HOLDERS_SQL = `
(SELECT 'session' AS kind, a.pid::text || ' (' || coalesce(nullif(a.application_name, ''), a.usename::text, '?') || ', database ' || coalesce(a.datname, '?') || ', ' || coalesce(a.state, '?') || ')' AS holder,
        greatest(age(a.backend_xmin), age(a.backend_xid))::float8 AS age
   FROM pg_stat_activity a WHERE coalesce(a.backend_xmin, a.backend_xid) IS NOT NULL AND a.pid <> pg_backend_pid()
  ORDER BY 3 DESC NULLS LAST LIMIT 1)
UNION ALL
(SELECT 'prepared transaction', gid || ' (prepared ' || prepared::text || ' by ' || owner::text || ')', age(transaction)::float8
   FROM pg_prepared_xacts ORDER BY 3 DESC LIMIT 1)
UNION ALL
(SELECT 'replication slot', slot_name::text || ' (' || slot_type || CASE WHEN active THEN ', active' ELSE ', inactive' END || ')',
        greatest(age(xmin), age(catalog_xmin))::float8
   FROM pg_replication_slots WHERE coalesce(xmin, catalog_xmin) IS NOT NULL ORDER BY 3 DESC LIMIT 1)`;
