// The first keywords of a statement as PostgreSQL's lexer meets them: past whitespace, `--` and nested `/* */` comments
// and empty statements (`;`), which the extended protocol accepts in front of the one statement it allows.

/** PostgreSQL's whitespace (scan.l `space`; \v from 16 on, taken here for every major: a superset is the safe side). */
const SPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v']);

/** Where the comment opened at `at` (just past its `/*`) ends: comments nest, and `*+/` closes one level. */
function commentEnd(sql: string, at: number): number {
  let depth = 1;
  let i = at;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql[i] === '*') {
      while (sql[i] === '*') i++;
      if (sql[i] === '/') {
        i++;
        if (--depth === 0) return i;
      }
    } else i++;
  }
  return i;
}

/** Past whitespace and comments from `at` (and past `;` too when `emptyStatements`). */
function skipBlank(sql: string, at: number, emptyStatements: boolean): number {
  let i = at;
  while (i < sql.length) {
    if (SPACE.has(sql[i]!) || (emptyStatements && sql[i] === ';')) i++;
    else if (sql.startsWith('--', i)) {
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (sql.startsWith('/*', i)) i = commentEnd(sql, i + 2);
    else break;
  }
  return i;
}

/**
 * The statement's first `count` words, lower-cased: each the run of ASCII letters, digits and underscores where a
 * token starts ('' where one starts with anything else). Wherever the server reads a keyword, this is that keyword; a
 * word it reads as an identifier (`do$$`, `callé`) may come out as a keyword here, which only errs on the careful side.
 */
export function leadingKeywords(sql: string, count = 1): string[] {
  const words: string[] = [];
  let i = skipBlank(sql, 0, true);
  while (words.length < count) {
    let end = i;
    while (end < sql.length && /[A-Za-z0-9_]/.test(sql[end]!)) end++;
    const word = sql.slice(i, end);
    words.push(word.toLowerCase());
    if (!word) break;
    i = skipBlank(sql, end, false);
  }
  return words;
}
