// Attack: a hostile load.custom step given to the CLI, also under --read-only: exit 2 with one line naming the path,
// before any server is touched (the database's catalog is the same before and after).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-hostile-'));
  await db.sql('CREATE TABLE public.victim (id int); INSERT INTO public.victim VALUES (1), (2)');
});
afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const catalog = async () => (await db.sql<{ n: number; rows: number }>(`SELECT (SELECT count(*)::int FROM pg_class) AS n, (SELECT count(*)::int FROM public.victim) AS rows`))[0];

describe('a hostile load.custom step', () => {
  for (const [name, sql] of [
    ['commit-delete', 'SELECT 1; COMMIT; DELETE FROM public.victim'],
    ['copy-to-file', "COPY (SELECT 1) TO '/tmp/stackprobe-hostile-copy'"],
  ] as const) {
    for (const readOnly of [false, true]) {
      it(`${name}${readOnly ? ' under --read-only' : ''}: exit 2, one line naming config.load.custom[0].sql, nothing touched`, async () => {
        const file = path.join(dir, `${name}-${readOnly}.json`);
        await writeFile(file, JSON.stringify({ load: { custom: [{ name, sql, weight: 1 }] } }));
        const before = await catalog();
        const res = await runCli(['run', '--config', file, '--only', 'load', '--output', path.join(dir, 'out'), ...(readOnly ? ['--read-only'] : [])], { env: { DATABASE_URL: db.url } });
        const lines = res.stderr.trim().split('\n').filter(Boolean);
        console.log(`${name}${readOnly ? ' --read-only' : ''}: exit ${res.code}: ${lines.join(' | ')}`);
        expect(res.code).toBe(2);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/config\.load\.custom\[0\]\.sql/);
        expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(await catalog()).toEqual(before);
      }, 60_000);
    }
  }
});
