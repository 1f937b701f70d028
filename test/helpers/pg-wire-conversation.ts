// The client side of the recorded PostgreSQL conversation (test/helpers/pg-wire-replies.ts): each step one exchange
// that a ReadyForQuery ends, chosen to bring every message type the measuring path meets in a real session.
export type Step =
  | { kind: 'startup'; user: string; database: string }
  | { kind: 'prepare'; name: string; sql: string }
  | { kind: 'execute'; name: string; params: Array<string | null> }
  | { kind: 'simple'; sql: string };

export const CONVERSATION: readonly Step[] = [
  { kind: 'startup', user: 'postgres', database: 'postgres' }, // AuthenticationOk, ParameterStatus…, BackendKeyData, ReadyForQuery
  // NULLs, multi-byte text, an empty string, rows of varying width
  { kind: 'prepare', name: 'rows', sql: "SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE repeat('é', g * 7) END, '' FROM generate_series(1, $1::int) g" },
  { kind: 'execute', name: 'rows', params: ['9'] },
  { kind: 'prepare', name: 'div', sql: 'SELECT 1 / $1::int' },
  { kind: 'execute', name: 'div', params: ['0'] }, // ErrorResponse 22012
  { kind: 'simple', sql: "DO $$ BEGIN RAISE NOTICE 'hello %', 'wire'; END $$" }, // NoticeResponse
  { kind: 'simple', sql: "SET application_name = 'recorded'" }, // ParameterStatus after the startup
  { kind: 'simple', sql: '' }, // EmptyQueryResponse
  { kind: 'simple', sql: 'SELECT 1 AS one' }, // RowDescription, DataRow
];

/** What the measuring connection decodes from the `execute` steps (rows of `rows`; the error of `div`). */
export const ROWS_9: Array<Array<string | null>> = Array.from({ length: 9 }, (_, i) => {
  const g = i + 1;
  return [String(g), g % 3 === 0 ? null : 'é'.repeat(g * 7), ''];
});
