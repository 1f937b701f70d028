// PostgreSQL's own parser (libpg-query, the server's grammar compiled to WASM) and the static read check on its tree:
// exactly one plain SELECT (VALUES, TABLE and WITH … SELECT parse as one), without INTO, row locks or a write inside.
import { loadModule, parseSync } from 'libpg-query';

// Loaded once per process when this module is first imported (about 35 ms), so parsing stays synchronous everywhere,
// including inside the config schema's refinements.
await loadModule();

/** A node of the parser's JSON tree: `{ NodeType: { …fields } }`, lists as arrays. */
export type Tree = unknown;

export type Parsed = { ok: true; stmts: Tree[] } | { ok: false; why: string };

/** Parses `sql` (any number of statements); the parser's own message when it refuses the text. */
export function parseSql(sql: string): Parsed {
  try {
    const out = parseSync(sql) as { stmts?: Array<{ stmt?: Tree }> };
    return { ok: true, stmts: (out.stmts ?? []).map((s) => s.stmt ?? {}) };
  } catch (err) {
    return { ok: false, why: `PostgreSQL's parser refuses it: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Statements that write, wherever they stand (a data-modifying CTE puts one inside a SELECT). */
const WRITE_NODES: Record<string, string> = {
  InsertStmt: 'INSERT', UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE', MergeStmt: 'MERGE',
};

/** Visits every object of the tree, depth first, with the key it stands under. */
export function visit(node: Tree, fn: (key: string, value: unknown) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, fn);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    fn(key, value);
    visit(value, fn);
  }
}

const WORDS: Record<string, string> = {
  CopyStmt: 'COPY', VariableSetStmt: 'SET', TransactionStmt: 'a transaction command', ExplainStmt: 'EXPLAIN', CallStmt: 'CALL',
  DoStmt: 'DO', ExecuteStmt: 'EXECUTE', PrepareStmt: 'PREPARE', NotifyStmt: 'NOTIFY', ListenStmt: 'LISTEN', LockStmt: 'LOCK',
  CreateTableAsStmt: 'CREATE TABLE AS', DeclareCursorStmt: 'DECLARE', VacuumStmt: 'VACUUM or ANALYZE', ...WRITE_NODES,
};

/** The statement's kind in SQL words, for messages (the parser's node name when there is no shorter word). */
function statementWords(stmt: Tree): string {
  const node = Object.keys(stmt as object)[0] ?? 'an unknown statement';
  return WORDS[node] ?? node;
}

/** The first data-changing statement anywhere in a tree (a SQL-standard function body holds several), or null. */
export function writeIn(tree: Tree): string | null {
  let found: string | null = null;
  visit(tree, (key) => {
    if (!found && key in WRITE_NODES) found = WRITE_NODES[key]!;
  });
  return found;
}

/** Why a parsed statement is not a plain read, or null. */
export function whyNotReadTree(stmt: Tree): string | null {
  const select = (stmt as { SelectStmt?: { intoClause?: unknown } }).SelectStmt;
  if (!select) return `it is ${statementWords(stmt)}, not SELECT, WITH … SELECT, VALUES or TABLE`;
  if (select.intoClause) return 'SELECT … INTO creates a table';
  let why: string | null = null;
  visit(stmt, (key, value) => {
    if (why) return;
    if (key in WRITE_NODES) why = `it holds a data-modifying ${WRITE_NODES[key]}`;
    else if (key === 'lockingClause' && Array.isArray(value) && value.length > 0) why = 'it takes row locks (FOR UPDATE/SHARE)';
    else if (key === 'IntoClause' || key === 'intoClause') why = 'SELECT … INTO creates a table';
  });
  return why;
}

/**
 * Why `sql` is not one read statement, or null when it is: the check that needs no server (config validation, and the
 * first thing before any user statement is sent). The catalog check (check.ts) comes after it when a session exists.
 */
export function whyNotReadStatement(sql: string): string | null {
  if (sql.trim() === '') return 'it is empty';
  const parsed = parseSql(sql);
  if (!parsed.ok) return parsed.why;
  if (parsed.stmts.length === 0) return 'it is empty';
  if (parsed.stmts.length > 1) return `it holds ${parsed.stmts.length} statements; give one statement per entry`;
  return whyNotReadTree(parsed.stmts[0]);
}
