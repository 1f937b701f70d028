// The load and cache config sections refuse, before anything runs, user SQL that is not one read and numbers out of range.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { ConfigError } from '../../src/util/errors.js';

const refusal = (input: ConfigInput): string => {
  try {
    validateConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
};

describe('load.custom', () => {
  it('refuses a hostile step that hides a COMMIT and a DELETE behind a SELECT, naming the path', () => {
    const msg = refusal({ load: { custom: [{ name: 'ok', sql: 'SELECT 1' }, { name: 'evil', sql: 'SELECT 1; COMMIT; DELETE FROM accounts' }] } });
    expect(msg).toMatch(/^config\.load\.custom\[1\]\.sql: expected one read statement/);
    expect(msg).toMatch(/holds 3 statements; give one statement per entry/);
  });

  it('refuses COPY … TO a file, SET TRANSACTION and data-modifying CTEs', () => {
    expect(refusal({ load: { custom: [{ name: 'copy', sql: "COPY (SELECT 1) TO '/tmp/stackprobe-x'" }] } })).toMatch(/custom\[0\]\.sql.*COPY/);
    expect(refusal({ load: { custom: [{ name: 'set', sql: 'SET TRANSACTION READ WRITE' }] } })).toMatch(/custom\[0\]\.sql/);
    expect(refusal({ load: { custom: [{ name: 'cte', sql: 'WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d' }] } })).toMatch(/custom\[0\]\.sql/);
  });

  it('accepts one read statement with parameters', () => {
    const config = validateConfig({ load: { custom: [{ name: 'balance', sql: 'SELECT sum(amount) FROM t WHERE account_id = $1', params: [3] }] } });
    expect(config.load.custom[0]!.sql).toMatch(/^SELECT/);
  });
});

describe('number bounds', () => {
  it('keeps durations within Node\'s timer range (2^31-1 ms) and names the path', () => {
    expect(refusal({ load: { stages: [{ rate: 10, duration: '30000000s' }] } })).toMatch(/^config\.load\.stages\[0\]\.duration: .*2147483647 ms/);
    expect(refusal({ load: { request_timeout_ms: 3_000_000_000 } })).toMatch(/^config\.load\.request_timeout_ms/);
    expect(refusal({ cache: { duration_s: 3e9 } })).toMatch(/^config\.cache\.duration_s/);
    expect(refusal({ cache: { command_timeout_ms: 2 ** 31 } })).toMatch(/^config\.cache\.command_timeout_ms/);
  });

  it('caps concurrency, rates and key spaces', () => {
    expect(refusal({ load: { max_vus: 1e9 } })).toMatch(/^config\.load\.max_vus: .*at most 100000/);
    expect(refusal({ load: { stages: [{ rate: 1e9, duration: '1s' }] } })).toMatch(/^config\.load\.stages\[0\]\.rate/);
    expect(refusal({ cache: { concurrency: 1e6 } })).toMatch(/^config\.cache\.concurrency/);
    expect(refusal({ cache: { key_space: 1e8 } })).toMatch(/^config\.cache\.key_space/);
    expect(refusal({ cache: { concurrency_levels: [1, 1e6] } })).toMatch(/^config\.cache\.concurrency_levels\[1\]/);
  });
});
