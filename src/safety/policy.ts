// Which functions user SQL may run under stackprobe's read guarantee, decided from the catalog's facts about each one
// (schema, volatility, language, extension), never from its name alone: a user's public.random() is not pg_catalog's.
import type { FunctionRow } from './catalog-sql.js';

/**
 * Volatile functions of pg_catalog with no effect outside the statement (random numbers, clocks, sleeping, reading the
 * WAL position or locks), as name(argument types) of a function that must also be in pg_catalog. Everything else
 * volatile is refused: that is what a function declares when it may change something.
 */
export const HARMLESS_VOLATILE = new Set([
  'random()', 'random(integer, integer)', 'random(bigint, bigint)', 'random(numeric, numeric)',
  'random_normal(double precision, double precision)',
  'clock_timestamp()', 'timeofday()', 'pg_sleep(double precision)', 'pg_sleep_for(interval)', 'pg_sleep_until(timestamp with time zone)',
  'gen_random_uuid()', 'uuidv4()', 'uuidv7()', 'uuidv7(interval)',
  'pg_current_wal_lsn()', 'pg_current_wal_insert_lsn()', 'pg_current_wal_flush_lsn()', 'pg_last_wal_receive_lsn()', 'pg_last_wal_replay_lsn()',
  'pg_is_in_recovery()', 'pg_lock_status()', 'pg_blocking_pids(integer)', 'pg_safe_snapshot_blocking_pids(integer)',
]);

/** Volatile functions of an extension that only read, as extension → name(argument types) of a member of it. */
export const HARMLESS_VOLATILE_OF_EXTENSION: Record<string, Set<string>> = {
  pg_stat_statements: new Set(['pg_stat_statements(boolean)', 'pg_stat_statements_info()']),
};

/**
 * Functions of pg_catalog that run SQL they are given as text, or a relation's whole query, inside the statement —
 * whatever their volatility (table_to_xml and schema_to_xml are STABLE): what they run is not in the statement's tree,
 * so it cannot be checked. Refused rather than half-checked.
 */
export const RUNS_SQL_TEXT = new Set([
  'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema',
  'cursor_to_xml', 'cursor_to_xmlschema',
  'table_to_xml', 'table_to_xmlschema', 'table_to_xml_and_xmlschema',
  'schema_to_xml', 'schema_to_xmlschema', 'schema_to_xml_and_xmlschema',
  'database_to_xml', 'database_to_xmlschema', 'database_to_xml_and_xmlschema',
  'ts_stat', 'ts_rewrite',
]);

/** Languages whose body the read check reads (sql, through the parser) or that only the superuser can create (c, internal). */
const INSPECTED = new Set(['sql', 'c', 'internal']);

const VOLATILITY: Record<FunctionRow['volatility'], string> = { i: 'IMMUTABLE', s: 'STABLE', v: 'VOLATILE' };

/** Why `fn` may not run under the read guarantee, or null. */
export function whyRefused(fn: FunctionRow): string | null {
  const own = fn.schema === 'pg_catalog';
  if (own && RUNS_SQL_TEXT.has(fn.name)) return 'it runs SQL given to it as text, or a relation\'s whole query, which cannot be checked';
  if (fn.volatility === 'v') {
    if (own && HARMLESS_VOLATILE.has(fn.local)) return null;
    if (fn.extension && HARMLESS_VOLATILE_OF_EXTENSION[fn.extension]?.has(fn.local)) return null;
    return 'VOLATILE, so it may change data or act outside the transaction (other sessions, files, the WAL, the server)';
  }
  if (!own && !fn.extension && !INSPECTED.has(fn.language)) {
    return `${VOLATILITY[fn.volatility]} but written in ${fn.language}, whose body the read check cannot inspect (the mark does not stop it calling a function that writes)`;
  }
  return null;
}
