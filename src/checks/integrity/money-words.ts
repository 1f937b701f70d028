// Money-like column names, matched by words and globs (no regular expressions): linear in the name, so no user pattern can spin.

/** A column name's words, lower-cased: split at `_`, `-`, spaces and camelCase boundaries ("unitPrice" → unit, price). */
export function nameWords(column: string): string[] {
  return column
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_\s-]+/)
    .filter((w) => w.length > 0);
}

/**
 * Glob match (`*` any run, `?` one character) by the iterative two-pointer method: each step advances the name or the
 * pattern, and a mismatch only rewinds to the last `*`, so the work is bounded by name × pattern length (63 × 100 at
 * most for PostgreSQL identifiers and the config's limit) whatever the pattern: nothing like `(a+)+$` can happen.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * A matcher for config.integrity.money_columns: an entry without `*`/`?` is one word or several joined by `_`
 * ("value_cents") that must appear as whole consecutive words of the name; an entry with them is a glob over the whole
 * name in its words-joined-by-`_` form ("unitPrice" is tested as "unit_price"). Case never matters.
 */
export function moneyMatcher(entries: readonly string[]): (column: string) => boolean {
  const globs = entries.filter((e) => /[*?]/.test(e)).map((e) => e.toLowerCase());
  const phrases = entries.filter((e) => !/[*?]/.test(e)).map((e) => nameWords(e));
  return (column) => {
    const words = nameWords(column);
    const joined = words.join('_');
    if (globs.some((g) => globMatch(g, joined))) return true;
    return phrases.some((ph) => ph.length > 0 && words.some((_, i) => ph.every((w, j) => words[i + j] === w)));
  };
}
