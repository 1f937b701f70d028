// Config: precedence (env < file < flags), errors that name the field, the reference tool's format, the example file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/config/schema.js';
import { ConfigError } from '../../src/util/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  return p;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('names the field and what was expected', () => {
    expect(messageOf(() => validateConfig({ thresholds: { query_time_ms: 'fast' } }))).toBe(
      'config.thresholds.query_time_ms: expected a positive number, got "fast"',
    );
    expect(messageOf(() => validateConfig({ queries: { concurrency: 0 } }))).toBe('config.queries.concurrency: expected a positive integer, got 0');
    expect(messageOf(() => validateConfig({ mode: 'fastest' }))).toBe('config.mode: expected one of "quick", "full", "load-test", got "fastest"');
    expect(messageOf(() => validateConfig({ queries: { custom: [{ name: 'x' }] } }))).toBe('config.queries.custom[0].sql: expected an SQL statement, got nothing');
  });

  it('rejects unknown keys, naming each', () => {
    expect(messageOf(() => validateConfig({ thresholds: { query_tme_ms: 5 }, colour: true }))).toBe(
      [
        'config.thresholds.query_tme_ms: unknown key; did you mean "query_time_ms"?',
        'config.colour: unknown key (not part of the config schema; see `stackprobe config schema`)',
      ].join('\n'),
    );
  });

  it('rejects a bad URL without printing its password', () => {
    const msg = messageOf(() => validateConfig({ database_url: 'mysql://app:hunter2@db/app' }));
    expect(msg).toMatch(/^config\.database_url: expected a PostgreSQL URL \(postgres:\/\/, postgresql:\/\/\), got "mysql:\/\/app:\*\*\*@db\/app"$/);
    expect(msg).not.toContain('hunter2');
  });

  it("accepts the reference tool's key names, shares written as 0.8 or \"80%\"", () => {
    const c = validateConfig({
      database_url: 'postgresql://u:p@localhost:5432/finance',
      redis_url: 'redis://localhost:6379/0',
      thresholds: { query_time_ms: 100, cache_hit_rate: '80%', query_error_rate: 0.01, task_success_rate: '99.5 %', memory_usage_mb: 512 },
    });
    expect(c.thresholds).toMatchObject({ query_time_ms: 100, cache_hit_rate: 0.8, query_error_rate: 0.01, task_success_rate: 0.995, memory_usage_mb: 512, complex_query_time_ms: 500 });
    expect(c.mode).toBe('quick');
  });

  it('refuses a share written as an ambiguous bare number, saying how to write it', () => {
    expect(messageOf(() => validateConfig({ thresholds: { cache_hit_rate: 80 } }))).toBe(
      'config.thresholds.cache_hit_rate: expected 0.8 or "80%" (80 alone is ambiguous for a share), got 80',
    );
    expect(messageOf(() => validateConfig({ thresholds: { query_error_rate: 1 } }))).toBe(
      'config.thresholds.query_error_rate: expected 0.01 or "1%" for one percent, or "100%" for all (1 alone is ambiguous for a share), got 1',
    );
    expect(messageOf(() => validateConfig({ thresholds: { load_success_rate: 150 } }))).toMatch(/^config\.thresholds\.load_success_rate: expected a share between 0 and 1/);
    expect(messageOf(() => validateConfig({ thresholds: { integrity_score: '120%' } }))).toMatch(/^config\.thresholds\.integrity_score: expected a share between 0 and 1/);
    expect(validateConfig({ thresholds: { query_error_rate: '100%' } }).thresholds.query_error_rate).toBe(1);
  });

  it('bounds every number where a larger one would break the run', () => {
    expect(messageOf(() => validateConfig({ timeouts: { check_ms: 3_000_000_000 } }))).toBe(
      'config.timeouts.check_ms: expected at most 2147483647 ms (about 24.8 days, the longest timer Node.js keeps), got 3000000000',
    );
    expect(validateConfig({ timeouts: { check_ms: 2 ** 31 - 1 } }).timeouts.check_ms).toBe(2 ** 31 - 1);
    expect(messageOf(() => validateConfig({ workload: { scale: 1e6 } }))).toMatch(/^config\.workload\.scale: expected at most 1000 \(/);
    expect(validateConfig({ workload: { scale: 1000 } }).workload.scale).toBe(1000);
    expect(messageOf(() => validateConfig({ queries: { concurrency: 3000 } }))).toBe('config.queries.concurrency: expected at most 1000 (one connection each), got 3000');
    expect(messageOf(() => validateConfig({ queries: { duration_s: 1e7 } }))).toMatch(/^config\.queries\.duration_s: expected at most 86400/);
    expect(messageOf(() => validateConfig({ queries: { explain_slowest: 1e9 } }))).toMatch(/^config\.queries\.explain_slowest: expected an integer from 0 to 100/);
    expect(messageOf(() => validateConfig({ thresholds: { cache_latency_ms: 1e300 } }))).toMatch(/^config\.thresholds\.cache_latency_ms: expected at most 2147483647 ms/);
    expect(messageOf(() => validateConfig({ thresholds: { memory_usage_mb: 1e12 } }))).toMatch(/^config\.thresholds\.memory_usage_mb: expected at most/);
    expect(messageOf(() => validateConfig({ bands: { hit_rate: [90, 80, 70] } }))).toMatch(/^config\.bands\.hit_rate\[0\]: expected at most 1, got 90/);
    expect(messageOf(() => validateConfig({ workload: { seed: 2 ** 40 } }))).toMatch(/^config\.workload\.seed: expected an integer seed/);
    expect(messageOf(() => validateConfig({ only: [] }))).toBe('config.only: expected at least one category or check id (leave "only" out to run every check), got []');
  });

  it('exports a JSON Schema that lists every section', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['database_url', 'thresholds', 'bands', 'queries', 'checks', 'plugins', 'timeouts']));
  });
});

describe('loadConfig', () => {
  it('merges file < environment < flags, and says which URL overrode which', async () => {
    const f = await file('c.json', JSON.stringify({ database_url: 'postgres://file@h/db', output: 'from-file', queries: { concurrency: 2 } }));
    const { config, baseDir, urlSources } = await loadConfig({
      env: { DATABASE_URL: 'postgres://env@h/db', REDIS_URL: 'redis://env:6379' },
      file: f,
      flags: { output: 'from-flag', mode: 'full' },
    });
    // The environment is what this deployment set for this run: it beats the checked-in file.
    expect(config.database_url).toBe('postgres://env@h/db');
    expect(urlSources).toEqual([
      { key: 'database_url', from: 'environment', name: 'DATABASE_URL', url: 'postgres://env@h/db', overrode: [{ from: 'config file', name: 'database_url', url: 'postgres://file@h/db' }] },
      { key: 'redis_url', from: 'environment', name: 'REDIS_URL', url: 'redis://env:6379', overrode: [] },
    ]);
    expect(config.redis_url).toBe('redis://env:6379');
    expect(config.output).toBe('from-flag');
    expect(config.mode).toBe('full');
    expect(config.queries.concurrency).toBe(2);
    expect(baseDir).toBe(dir);
  });

  it('strips $comment and // keys so a config can carry comments', async () => {
    const f = await file('comments.json', JSON.stringify({ $comment: 'top', thresholds: { '// why': 'tight', query_time_ms: 20 } }));
    expect((await loadConfig({ file: f })).config.thresholds.query_time_ms).toBe(20);
  });

  it('says clearly when the file is missing or not JSON', async () => {
    await expect(loadConfig({ file: path.join(dir, 'nope.json') })).rejects.toThrow(/nope\.json: cannot read it \(no such file\)/);
    const bad = await file('bad.json', '{ "mode": "quick", }');
    await expect(loadConfig({ file: bad })).rejects.toThrow(/bad\.json: not valid JSON/);
    const arr = await file('arr.json', '[]');
    await expect(loadConfig({ file: arr })).rejects.toThrow(/expected a JSON object/);
  });

  it('validates the shipped example_config.json', async () => {
    const example = path.resolve(import.meta.dirname, '../../example_config.json');
    const { config } = await loadConfig({ file: example });
    expect(config.queries.custom.length).toBeGreaterThan(0);
    expect(config.plugins.length).toBeGreaterThan(0);
  });

  it('example_config.json validates against its own $schema (ajv, draft 2020-12) and shows every section', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const example = JSON.parse(await readFile(path.join(root, 'example_config.json'), 'utf8')) as Record<string, unknown>;
    const schema = JSON.parse(await readFile(path.resolve(root, String(example.$schema)), 'utf8')) as { properties: Record<string, { type?: string }> };
    // Formats (date-time, uri) are zod's to check; ajv would only warn that it does not know them.
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    // Every object section of the schema (what the README promises), and every scalar, set or explained in a comment.
    const shown = Object.keys(example).map((k) => k.replace(/^\/\/ /, ''));
    expect(Object.keys(schema.properties).filter((k) => !shown.includes(k))).toEqual([]);
  });

  it('a byte-order mark is skipped; comments, a directory and hostile keys get a clear, terminal-safe message', async () => {
    const bom = await file('bom.json', '\uFEFF{ "mode": "full" }');
    expect((await loadConfig({ file: bom })).config.mode).toBe('full');
    const commented = await file('commented.json', '{\n  // tight for CI\n  "mode": "quick"\n}');
    await expect(loadConfig({ file: commented })).rejects.toThrow(/not valid JSON: .*JSON has no comments: write them as "\$comment" or "\/\/ key" keys/);
    await expect(loadConfig({ file: dir })).rejects.toThrow(/cannot read it \(it is a directory, not a regular file\)/);
    const hostileKey = `\u001b]0;pwned\u0007\u001b[2J${'k'.repeat(200_000)}`;
    const hostile = await file('hostile.json', JSON.stringify({ thresholds: { [hostileKey]: 1 } }));
    const message = await loadConfig({ file: hostile }).then(() => '', (err: Error) => err.message);
    expect(message).toMatch(/^config\.thresholds\["\\u001b\]0;pwned\\u0007\\u001b\[2Jk+\.\.\."\]: unknown key/);
    expect(message).not.toContain('\u001b');
    expect(message.length).toBeLessThan(300);
  });

  it('an unknown key names the nearest known one at its level', async () => {
    const f = await file('typos.json', JSON.stringify({ thresholdz: {}, queries: { concurency: 2 }, checks: { 'queries.basic': { tresholds: {} } }, zzzzzz: 1 }));
    const message = await loadConfig({ file: f }).then(() => '', (err: Error) => err.message);
    expect(message.split('\n').sort()).toEqual([
      'config.checks["queries.basic"].tresholds: unknown key; did you mean "thresholds"?',
      'config.queries.concurency: unknown key; did you mean "concurrency"?',
      'config.thresholdz: unknown key; did you mean "thresholds"?',
      'config.zzzzzz: unknown key (not part of the config schema; see `stackprobe config schema`)',
    ]);
  });
});

describe('docs', () => {
  it('docs/config.md and docs/config.schema.json match the schema (regenerate with `npm run docs`)', async () => {
    const { renderConfigDocs } = await import('../../src/config/docs-table.js');
    const root = path.resolve(import.meta.dirname, '../..');
    expect(await readFile(path.join(root, 'docs/config.md'), 'utf8')).toContain(renderConfigDocs(configJsonSchema()));
    expect(JSON.parse(await readFile(path.join(root, 'docs/config.schema.json'), 'utf8'))).toEqual(configJsonSchema());
  });
});
