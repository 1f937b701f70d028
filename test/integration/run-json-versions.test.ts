// run.json of the current schema version and of the previous one through the built CLI: `report`, `compare` and
// `history` read both, a schema 1 file reads as the same run as its schema 2 form, and a newer version is refused (exit 2).
import { gunzipSync } from 'node:zlib';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/result/model.js';
import { runCli } from '../helpers/cli.js';

/** A real quick run as schema 1 wrote it, and the same run as the current version writes it (`report --format json`). */
const fixture = (name: string): string => gunzipSync(readFileSync(path.join(import.meta.dirname, '../fixtures/runs', name))).toString('utf8');
const V1 = fixture('quick-run.json.gz');
const CURRENT = fixture('quick-run-v2.json.gz');

let dir: string;
let v1: string;
let current: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-versions-'));
  v1 = path.join(dir, 'v1.json');
  current = path.join(dir, 'current.json');
  await writeFile(v1, V1);
  await writeFile(current, CURRENT);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('run.json versions', () => {
  it('keeps its fixtures at the current version and the one before', () => {
    // A new version keeps quick-run-v2 as the previous version's file and adds one of its own.
    expect((JSON.parse(CURRENT) as { schemaVersion: number }).schemaVersion).toBe(SCHEMA_VERSION);
    expect((JSON.parse(V1) as { schemaVersion: number }).schemaVersion).toBe(SCHEMA_VERSION - 1);
  });

  it('report: both versions give the same reports, and a schema 1 file is rewritten as the current version', async () => {
    const reports: string[] = [];
    for (const [name, file] of [['v1', v1], ['current', current]] as const) {
      const out = path.join(dir, `report-${name}`);
      const r = await runCli(['report', file, '--format', 'json,md', '-o', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('report.md');
      reports.push(await readFile(path.join(out, 'report.md'), 'utf8'));
      expect(JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8'))).toEqual(JSON.parse(CURRENT));
    }
    expect(reports[0]).toContain('## ');
    expect(reports[0]).toBe(reports[1]);
  });

  it('compare: the same run in both versions is no regression', async () => {
    const r = await runCli(['compare', v1, current]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No regression: no check newly fails, and none of \d+ judged figures got worse/);
  });

  it('history: lists a run of each version with the same figures', async () => {
    const r = await runCli(['history', '--format', 'json', v1, current]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => path.basename(String(x.file))).sort()).toEqual(['current.json', 'v1.json']);
    const { file: _a, ...first } = rows[0]!;
    const { file: _b, ...second } = rows[1]!;
    expect(first).toEqual(second);
    expect(first.checks).toBe('19/4/0/12');
  });

  it('refuses a version it does not know, in every command, with exit 2', async () => {
    const newer = path.join(dir, 'newer.json');
    await writeFile(newer, JSON.stringify({ ...(JSON.parse(CURRENT) as object), schemaVersion: SCHEMA_VERSION + 1 }));
    for (const args of [['report', newer, '--format', 'md', '-o', path.join(dir, 'never')], ['compare', current, newer], ['history', newer]]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`schemaVersion ${SCHEMA_VERSION + 1} is not supported`);
    }
  });
});
