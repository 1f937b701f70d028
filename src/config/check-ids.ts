// Names of checks in the config and flags (`only`, `skip`, `checks` keys, --only, --skip) must name a known check or
// category: a typo such as `backup.round_trip` would otherwise be ignored silently and the check would run (and write).
// Built-in ids are known when the config is read; plugin ids only once the plugins are loaded, so callers pass the list.
import { ConfigError } from '../util/errors.js';
import { CATEGORIES, type Config } from './schema.js';

export interface KnownCheck {
  id: string;
  category: string;
}

export interface NameSources {
  /** The names came from a flag rather than the config file: the message names the flag. */
  onlyFlag?: boolean;
  skipFlag?: boolean;
}

/** Edit distance (insert, delete, substitute, swap of neighbours), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, when one is close enough to be what was meant. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  // `basic` for `queries.basic`, `QUERIES` for `queries`.
  const exactish = known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => k.toLowerCase().endsWith(`.${lower}`));
  if (exactish) return exactish;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const dist = editDistance(lower, k.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function unknownName(where: string, name: string, known: readonly string[], what: string): string {
  const guess = nearest(name, known);
  const hint = guess ? `; did you mean ${JSON.stringify(guess)}?` : ' (`stackprobe checks` lists them)';
  return `${where}: unknown ${what} ${JSON.stringify(name)}${hint}`;
}

/**
 * Every name in `only`, `skip` and the keys of `checks` must be a known check id (or, in only/skip, a category).
 * Throws one ConfigError listing each unknown name with the nearest known one.
 */
export function validateCheckNames(config: Pick<Config, 'only' | 'skip' | 'checks'>, checks: readonly KnownCheck[], from: NameSources = {}): void {
  const ids = checks.map((c) => c.id);
  const categories = [...new Set([...CATEGORIES, ...checks.map((c) => c.category)])];
  const selectable = new Set([...ids, ...categories]);
  const problems: string[] = [];
  for (const [field, names, flag] of [['only', config.only ?? [], from.onlyFlag], ['skip', config.skip, from.skipFlag]] as const) {
    names.forEach((n, i) => {
      if (!selectable.has(n)) problems.push(unknownName(flag ? `--${field}` : `config.${field}[${i}]`, n, [...categories, ...ids], 'category or check id'));
    });
  }
  for (const key of Object.keys(config.checks)) {
    if (!ids.includes(key)) problems.push(unknownName(`config.checks[${JSON.stringify(key)}]`, key, ids, 'check id'));
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
}
