// SQL text helpers: the one place identifiers are quoted, and the workload's schema name.
/** The workload's own namespace: stackprobe writes nowhere else. */
export const SCHEMA = 'stackprobe';

/** PostgreSQL's reserved, type/function-name and column-name keywords (pg_get_keywords() catcode <> 'U', PostgreSQL 15). */
const KEYWORDS = new Set(
  `all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case
cast char character check coalesce collate collation column concurrently constraint create cross
current_catalog current_date current_role current_schema current_time current_timestamp current_user dec
decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign
freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect
interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural
nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay
placing position precision primary real references returning right row select session_user setof similar
smallint some substring symmetric table tablesample then time timestamp to trailing treat trim true union
unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement
xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`.split(/\s+/),
);

/** Characters src/util/terminal-safe.ts removes from what it shows: C0 and C1 controls, DEL, bidi overrides. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSHOWABLE_ALL = /[\u0001-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSHOWABLE = new RegExp(UNSHOWABLE_ALL.source);

/**
 * Quotes an identifier like PostgreSQL's quote_ident: left bare when it is a plain lower-case name and not a keyword
 * (so recommendations read naturally), double-quoted otherwise. Every identifier stackprobe puts in SQL goes through here.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('an SQL identifier cannot be empty');
  if (name.includes('\0')) throw new Error('an SQL identifier cannot contain a NUL character');
  if (/^[a-z_][a-z0-9_]*$/.test(name) && !KEYWORDS.has(name)) return name;
  // A name with control or bidi characters in it is written with PostgreSQL's Unicode escapes (U&"bad\0007col"): the
  // same identifier to the server, and text a terminal or report shows whole instead of dropping what it cannot show.
  if (UNSHOWABLE.test(name)) return `U&"${name.replace(/["\\]/g, (c) => (c === '"' ? '""' : '\\\\')).replace(UNSHOWABLE_ALL, (c) => `\\${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
  return `"${name.replaceAll('"', '""')}"`;
}


/** `schema.table` with both parts quoted as needed. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** A table of the workload schema, quoted. */
export function wl(table: string): string {
  return qualified(SCHEMA, table);
}
