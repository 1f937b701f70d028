// Pure: a table's bloat estimated from its statistics (the approach of the widely used "table bloat" catalog queries):
// the pages its rows would need at their average width and the table's fillfactor, against the pages it has.

export interface BloatInput {
  schema: string;
  table: string;
  pages: number;
  tuples: number;
  block_size: number;
  fillfactor: number;
  row_width: number | null;
  max_null_frac: number | null;
  columns: number;
  columns_with_stats: number;
}

export interface BloatEstimate {
  schema: string;
  table: string;
  /** Pages the live rows would fill, freshly packed. */
  expected_pages: number;
  pages: number;
  bloat_bytes: number;
  /** Pages beyond the expected over all pages. */
  bloat_share: number;
}

const PAGE_HEADER = 24;
const TUPLE_HEADER = 23;
const ITEM_ID = 4;
const MAXALIGN = 8;
const align = (n: number) => Math.ceil(n / MAXALIGN) * MAXALIGN;

/** Null when it cannot be estimated: a column without statistics (not analysed, or hidden from this role). */
export function estimateBloat(t: BloatInput): BloatEstimate | null {
  if (t.row_width === null || t.columns_with_stats < t.columns) return null;
  const nullBitmap = (t.max_null_frac ?? 0) > 0 ? Math.ceil(t.columns / 8) : 0;
  const perTuple = align(TUPLE_HEADER + nullBitmap) + align(t.row_width) + ITEM_ID;
  const usable = (t.block_size - PAGE_HEADER) * (t.fillfactor / 100);
  const perPage = Math.max(1, Math.floor(usable / perTuple));
  const expected = Math.ceil(t.tuples / perPage);
  const extra = Math.max(0, t.pages - expected);
  return {
    schema: t.schema, table: t.table, expected_pages: expected, pages: t.pages,
    bloat_bytes: extra * t.block_size, bloat_share: t.pages > 0 ? extra / t.pages : 0,
  };
}
