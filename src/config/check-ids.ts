// Names of checks in the config and flags (`only`, `skip`, `checks` keys, --only, --skip) must name a known check or
// category: a typo such as `backup.round_trip` would otherwise be ignored silently and the check would run (and write).
// Built-in ids are known when the config is read; plugin ids only once the plugins are loaded, so callers pass the list.
import { nearest } from '../util/closest.js';
import { ConfigError } from '../util/errors.js';

export { editDistance, nearest } from '../util/closest.js';
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
