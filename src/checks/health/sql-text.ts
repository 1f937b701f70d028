// Pure helpers on SQL text: a literal-free fingerprint, whether a text is one plannable statement, and which column
// each $n parameter is compared with (so a value can be sampled from that column's statistics).

/** Quoted strings (standard, E'', dollar-quoted), comments and numbers, in the order a lexer meets them. */
const LEXEMES = /(--[^\n]*|\/\*[\s\S]*?\*\/)|[Ee]'(?:[^'\\]|''|\\[\s\S])*'|(?:[BbXx]|[Uu]&)?'(?:[^']|'')*'|(\$[A-Za-z_]?\w*\$)[\s\S]*?\2|("(?:[^"]|"")*")|(\$\d+)|(\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)/g;

/**
 * The statement with every literal replaced by $n and comments removed, so a session's text can be shown without
 * the values it carries (names, amounts, tokens). Quoted identifiers and existing $n stay.
 */
export function fingerprint(sql: string): string {
  let n = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) n = Math.max(n, Number(m[1]));
  const out = sql.replace(LEXEMES, (whole, comment: string | undefined, _dollar, quoted: string | undefined, param: string | undefined) => {
    if (comment !== undefined) return ' ';
    if (quoted !== undefined || param !== undefined) return whole;
    return `$${++n}`;
  });
  return out.replace(/\s+/g, ' ').trim();
}

/** The text without literals and comments, for scanning keywords and separators safely. */
function skeleton(sql: string): string {
  return sql.replace(LEXEMES, (whole, comment: string | undefined, _d, quoted: string | undefined, param: string | undefined) =>
    comment !== undefined ? ' ' : quoted !== undefined || param !== undefined ? whole : '0');
}

const PLANNABLE = /^\s*\(?\s*(select|with|insert|update|delete|values|table|merge)\b/i;

/** Why a pg_stat_statements text cannot be planned here (null when it can): only one DML/query statement is. */
export function whyNotPlannable(sql: string): string | null {
  const sk = skeleton(sql);
  if (!PLANNABLE.test(sk)) return 'not a query or DML statement (utility statements have no plan)';
  if (/;\s*\S/.test(sk)) return 'holds more than one statement';
  return null;
}

export interface ParamUse {
  param: number;
  column: string;
  op: string;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const OPS = String.raw`(?:=|<>|!=|<=|>=|<|>|(?:not\s+)?i?like)`;
const unquote = (id: string) => (id.startsWith('"') ? id.slice(1, -1).replaceAll('""', '"') : id.toLowerCase());

/** Each $n compared directly with a column (`col = $1`, `t.col >= $2`, `$3 < col`); the first use of a $n wins. */
export function paramColumns(sql: string): ParamUse[] {
  const sk = skeleton(sql);
  const found = new Map<number, ParamUse>();
  const left = new RegExp(String.raw`(?:${IDENT}\.)?(${IDENT})\s*(${OPS})\s*\$(\d+)`, 'gi');
  const right = new RegExp(String.raw`\$(\d+)\s*(${OPS})\s*(?:${IDENT}\.)?(${IDENT})`, 'gi');
  for (const m of sk.matchAll(left)) {
    const p = Number(m[3]);
    if (!found.has(p)) found.set(p, { param: p, column: unquote(m[1]!), op: m[2]!.toLowerCase() });
  }
  for (const m of sk.matchAll(right)) {
    const p = Number(m[1]);
    if (!found.has(p)) found.set(p, { param: p, column: unquote(m[3]!), op: m[2]!.toLowerCase() });
  }
  return [...found.values()];
}

/** $n used as LIMIT or OFFSET: filled with a typical page size rather than a column value. */
export function limitParams(sql: string): Map<number, 'limit' | 'offset'> {
  const out = new Map<number, 'limit' | 'offset'>();
  for (const m of skeleton(sql).matchAll(/\b(limit|offset)\s+\$(\d+)/gi)) out.set(Number(m[2]), m[1]!.toLowerCase() as 'limit' | 'offset');
  return out;
}

/** Relation names after FROM, JOIN, UPDATE, INTO (the last part of a qualified name), to look statistics up in. */
export function relationNames(sql: string): string[] {
  const out = new Set<string>();
  const re = new RegExp(String.raw`\b(?:from|join|update|into)\s+(?:${IDENT}\.)?(${IDENT})`, 'gi');
  for (const m of skeleton(sql).matchAll(re)) out.add(unquote(m[1]!));
  return [...out];
}
