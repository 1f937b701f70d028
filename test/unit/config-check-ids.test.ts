// Check names in config and flags: every unknown one is listed with the nearest known id; categories count in only/skip.
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { editDistance, nearest, validateCheckNames } from '../../src/config/check-ids.js';
import { validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/util/errors.js';

function problems(raw: unknown, from = {}): string {
  try {
    validateCheckNames(validateConfig(raw), builtinChecks, from);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  return '';
}

describe('check names', () => {
  it('accepts every built-in id and category, and an empty config', () => {
    expect(problems({})).toBe('');
    expect(problems({ only: ['queries', 'pool.acquire'], skip: ['cache'], checks: { 'queries.basic': { enabled: false } } })).toBe('');
  });

  it('lists each unknown name with where it is and the nearest known one', () => {
    expect(problems({ only: ['querys'], skip: ['integrity.foreign_keys', 'pool'], checks: { 'backup.round_trip': { enabled: false } } })).toBe([
      'config.only[0]: unknown category or check id "querys"; did you mean "queries"?',
      'config.checks["backup.round_trip"]: unknown check id "backup.round_trip"; did you mean "backup.roundtrip"?',
    ].join('\n'));
  });

  it('names the flag when the list came from one, and says how to list ids when nothing is close', () => {
    expect(problems({ only: ['xyzzy-nothing'] }, { onlyFlag: true })).toBe('--only: unknown category or check id "xyzzy-nothing" (`stackprobe checks` lists them)');
  });

  it('a category is not a checks key', () => {
    expect(problems({ checks: { queries: { enabled: false } } })).toMatch(/^config\.checks\["queries"\]: unknown check id "queries"/);
  });

  it('nearest: suffix, case and small typos', () => {
    const ids = builtinChecks.map((c) => c.id);
    expect(nearest('basic', ids)).toBe('queries.basic');
    expect(nearest('QUERIES.BASIC', ids)).toBe('queries.basic');
    expect(nearest('cache.latncy', ids)).toBe('cache.latency');
    expect(nearest('completely-different', ids)).toBeUndefined();
    expect(editDistance('abcd', 'abdc')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
