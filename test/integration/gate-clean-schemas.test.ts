// The gate a CI keeps: every application-style schema of test/fixtures/realworld (schemas in the style of public ones
// that the checks were not written against) exits 0 through the built CLI under `--only integrity,backup` with amcheck
// installed, and its planted twin exits 1 naming a failed check. Both directions, one process per run, as CI runs it.
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { loadFixture, plantDefects } from '../helpers/advice-run.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const DIR = path.resolve(import.meta.dirname, '../fixtures/realworld');
/** Every fixture with a clean schema and a planted twin. */
const FIXTURES = readdirSync(DIR)
  .map((f) => /^integrity-(.+)\.defects\.sql$/.exec(f)?.[1])
  .filter((n): n is string => n !== undefined)
  .sort();

let dir: string;
const dbs: TestDatabase[] = [];
/**
 * One database per fixture, its clean schema loaded once: the clean run reads it, then the planted run reads it with
 * the defects put on top (what loadFixture(db, name, true) makes in a fresh database: the same two files, in order).
 * The clean run leaves the database as it found it (the integrity checks read; backup.roundtrip dumps it and restores
 * into a scratch database of its own), so the planted run sees what a fresh load would give. A planted test run alone
 * (-t) loads the clean schema first itself.
 */
const cleanLoaded = new Map<string, Promise<TestDatabase>>();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-gate-'));
});
afterAll(async () => {
  await Promise.all(dbs.map((d) => d.drop()));
  await rm(dir, { recursive: true, force: true });
});

function fixtureDatabase(name: string): Promise<TestDatabase> {
  let db = cleanLoaded.get(name);
  if (!db) {
    db = createTestDatabase().then(async (d) => {
      dbs.push(d);
      await loadFixture(d, name, false);
      return d;
    });
    cleanLoaded.set(name, db);
  }
  return db;
}

async function gate(name: string, defects: boolean): Promise<{ code: number | null; result: RunResult; out: string }> {
  const db = await fixtureDatabase(name);
  if (defects) await plantDefects(db, name);
  const out = path.join(dir, `${name}-${defects ? 'planted' : 'clean'}`);
  const r = await runCli(['run', '--only', 'integrity,backup', '--output', out], { env: { DATABASE_URL: db.url } });
  const result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as RunResult;
  return { code: r.code, result, out: `${r.stdout}${r.stderr}` };
}

const verdicts = (r: RunResult): string => r.checks.map((c) => `${c.id} ${c.status}${c.reason ? ` (${c.reason})` : ''}: ${c.findings.filter((f) => f.severity !== 'info').map((f) => f.title).join(' | ')}`).join('\n');

describe('the CI gate on application-style schemas (needs dist/: npm run build)', () => {
  it('covers at least seven schemas, among them partitions, generated columns and rules', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(7);
    expect(FIXTURES).toEqual(expect.arrayContaining(['pagila', 'budget-rails', 'ledgersmb', 'bookkeeping']));
  });

  it.each(FIXTURES)('clean %s exits 0 under --only integrity,backup, amcheck on', async (name) => {
    const { code, result, out } = await gate(name, false);
    expect(code, `${verdicts(result)}\n${out.slice(-1500)}`).toBe(0);
    expect(result.checks.some((c) => c.id === 'backup.roundtrip' && c.status !== 'skip')).toBe(true);
    expect(result.checks.some((c) => c.id === 'integrity.corruption' && c.status === 'pass')).toBe(true);
  }, 180_000);

  it.each(FIXTURES)('planted %s exits 1 and names a failed integrity check', async (name) => {
    const { code, result, out } = await gate(name, true);
    expect(code, `${verdicts(result)}\n${out.slice(-1500)}`).toBe(1);
    const failed = result.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id).some((id) => id.startsWith('integrity.')), verdicts(result)).toBe(true);
    expect(failed.every((c) => c.findings.some((f) => f.severity === 'error') || c.thresholds.some((t) => !t.ok))).toBe(true);
  }, 180_000);
});
