// Catalog queries of health.replication: replicas as the primary sees them, the replica's own view when this server
// is one, replication slots with the WAL they keep, and the archiver's last success and failure.

export const ROLE_SQL = `SELECT pg_is_in_recovery() AS replica, current_setting('archive_mode') AS archive_mode`;

/** Lags in seconds (NULL when idle: PostgreSQL clears them once a replica has caught up and nothing is sent). */
export const REPLICAS_SQL = `
SELECT coalesce(nullif(application_name, ''), '?') AS name, coalesce(host(client_addr), 'local socket') AS client,
       state, sync_state,
       extract(epoch FROM write_lag)::float8 AS write_lag_s, extract(epoch FROM flush_lag)::float8 AS flush_lag_s,
       extract(epoch FROM replay_lag)::float8 AS replay_lag_s,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS replay_lag_bytes
  FROM pg_stat_replication
 ORDER BY replay_lag_bytes DESC NULLS FIRST`;

/** On a replica: how far replay is behind what was received, and the age of the last replayed transaction. */
export const STANDBY_SQL = `
SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS replay_lag_bytes,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS last_replay_age_s,
       (SELECT status FROM pg_stat_wal_receiver) AS receiver`;

export const SLOTS_SQL = `
SELECT slot_name AS name, slot_type AS type, coalesce(database, '') AS database, active, wal_status,
       pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn)::float8 AS retained_bytes
  FROM pg_replication_slots
 ORDER BY retained_bytes DESC NULLS LAST`;

export const ARCHIVER_SQL = `
SELECT archived_count::float8 AS archived, failed_count::float8 AS failed, last_archived_wal, last_failed_wal,
       last_archived_time::text AS last_archived_time, last_failed_time::text AS last_failed_time,
       coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) AS failing
  FROM pg_stat_archiver`;
