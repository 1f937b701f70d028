// load.replay: catalog queries of the dry pass (column statistics with frequencies, prepared types, EXPLAIN EXECUTE).

/** The most common values with their frequencies, the histogram and the null share of one column, as text. */
export const REPLAY_COLUMN_STATS_SQL = `
SELECT schemaname AS schema, tablename AS "table", attname AS "column", null_frac::float8 AS null_frac,
       (most_common_vals::text)::text[] AS mcv, most_common_freqs::float8[] AS freqs,
       (histogram_bounds::text)::text[] AS histogram
  FROM pg_stats
 WHERE attname = $1 AND tablename = ANY($2::text[])
 ORDER BY schemaname = ANY(current_schemas(false)) DESC, (most_common_vals IS NOT NULL OR histogram_bounds IS NOT NULL) DESC
 LIMIT 1`;

export const REPLAY_PREPARED_TYPES_SQL = `SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = $1`;

/** EXPLAIN EXECUTE of a prepared statement, each value quoted by the server (quote_literal), never by us. */
export const REPLAY_EXPLAIN_SQL = `
SELECT format('EXPLAIN (FORMAT JSON) EXECUTE %I%s', $1::text,
              CASE WHEN cardinality($2::text[]) = 0 THEN ''
                   ELSE '(' || (SELECT string_agg(coalesce(quote_literal(v), 'NULL'), ', ' ORDER BY i) FROM unnest($2::text[]) WITH ORDINALITY AS u(v, i)) || ')' END) AS sql`;
