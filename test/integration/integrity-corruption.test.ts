// integrity.corruption on a private embedded PostgreSQL: garbage written over a btree index page and over a heap page, each counted against its own relation, and the score fails.
import { randomBytes } from 'node:crypto';
import { chown, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/targets/embedded/embedded-pg.js';
import { silentLogger } from '../../src/util/logger.js';

let server: EmbeddedPostgres;
beforeAll(async () => {
  server = await startEmbeddedPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function runCorruption(extra: Record<string, unknown> = {}): Promise<RunResult> {
  return run({
    config: validateConfig({ database_url: server.url, integrity: { schemas: ['scratch'], amcheck: { create_extension: true, ...extra } } }),
    checks: integrityChecks.filter((c) => c.id === 'integrity.corruption' || c.id === 'integrity.score'), signal: new AbortController().signal, log: silentLogger(),
  });
}

/** Writes random bytes over `length` bytes of block `block` of a relation's file, after `skip` bytes of the page. */
async function scribble(relation: string, block: number, skip: number, length: number): Promise<void> {
  const [{ file }] = await sql<{ file: string }>(`SELECT pg_relation_filepath('${relation}') AS file`) as [{ file: string }];
  const handle = await open(path.join(server.dataDir, file), 'r+');
  try {
    await handle.write(randomBytes(length), 0, length, block * 8192 + skip);
  } finally {
    await handle.close();
  }
}

const counters = (r: RunResult['checks'][number], name: string) => Object.fromEntries(r.metrics.filter((m) => m.name === name && m.type === 'counter' && m.tags.relation).map((m) => [m.tags.relation, (m as { count: number }).count]));

it('passes on intact relations, then counts a damaged index page and a damaged heap page each against its own relation, and fails the score', async () => {
  await sql(`CREATE SCHEMA scratch; CREATE TABLE scratch.ledger (id int PRIMARY KEY, amount numeric NOT NULL);
    INSERT INTO scratch.ledger SELECT g, g * 1.5 FROM generate_series(1, 20000) g; CHECKPOINT`);
  const [intact, intactScore] = (await runCorruption()).checks;
  expect(intact!.status, intact!.reason).toBe('pass');
  expect(intact!.metrics.filter((m) => m.name === 'amcheck_relations_checked').map((m) => m.tags.kind).sort()).toEqual(['heap', 'index']);
  // Only corruption and the score ran: nothing is damaged, but foreign keys, constraints, … were not verified.
  expect(intactScore).toMatchObject({ status: 'warn', info: { state: 'incomplete' } });

  // CREATE INDEX writes the new index with smgr, and SET TABLESPACE copies the table's file with smgr and drops its old
  // buffers: neither is in shared buffers, so the files on disk are what amcheck reads next.
  const tablespace = path.join(path.dirname(server.dataDir), 'scratch_ts');
  await mkdir(tablespace);
  if (process.getuid?.() === 0) await chown(tablespace, 65534, 65534); // the private server runs as nobody when we are root
  await sql(`CREATE INDEX ledger_amount ON scratch.ledger (amount)`);
  await sql(`CREATE TABLESPACE scratch_ts LOCATION '${tablespace}'`);
  await sql(`ALTER TABLE scratch.ledger SET TABLESPACE scratch_ts`);
  await sql('CHECKPOINT');
  // Index: block 1 is the first leaf; keep its 24-byte header so it still looks like a page, scramble the items.
  await scribble('scratch.ledger_amount', 1, 24, 8192 - 24 - 16);
  // Heap: block 1 of the table; scramble 400 bytes of its line pointers (about 100 of them), keep the header.
  await scribble('scratch.ledger', 1, 24, 400);

  const [corrupt, score] = (await runCorruption()).checks;
  expect(corrupt!.status).toBe('fail');
  // The index is counted once, as an index; the table's items as heap items, on one page; neither in the other's figure.
  expect(counters(corrupt!, 'corrupt_indexes')).toEqual({ 'scratch.ledger_amount': 1 });
  const heap = counters(corrupt!, 'heap_corruption_items');
  expect(Object.keys(heap)).toEqual(['scratch.ledger']);
  expect(heap['scratch.ledger']).toBeGreaterThan(1);
  expect(counters(corrupt!, 'heap_corrupt_pages')).toEqual({ 'scratch.ledger': 1 });
  const errors = corrupt!.findings.filter((f) => f.severity === 'error');
  expect(errors.map((f) => f.title).sort()).toEqual([
    expect.stringMatching(/^index scratch\.ledger_amount is corrupt: /),
    expect.stringMatching(/^verify_heapam found \d+ corrupt item\(s\) on 1 page\(s\) of table scratch\.ledger$/),
  ]);
  expect(errors.find((f) => f.title.startsWith('index'))!.data).toMatchObject({ relation: 'scratch.ledger_amount', kind: 'index', sqlstate: expect.stringMatching(/^XX00[12]$/) });
  // The primary key was checked too (structure only, since its table is damaged) and is not reported as corrupt.
  expect(corrupt!.findings.some((f) => f.title.includes('ledger_pkey'))).toBe(false);
  console.log(`corruption: ${errors.map((f) => f.title).join(' | ')}; score ${JSON.stringify(score!.metrics.find((m) => m.name === 'integrity_score'))}`);
  expect(score).toMatchObject({ status: 'fail', info: { state: 'damaged' } });
  expect((score!.metrics.find((m) => m.name === 'integrity_score') as { value: number }).value).toBeLessThan(0.5);
  expect(await sql(`SELECT 1 FROM pg_extension WHERE extname = 'amcheck'`)).toEqual([]);
}, 60_000);

it('skips with the exact command when amcheck is missing and may not be created', async () => {
  const r = await run({
    config: validateConfig({ database_url: server.url, integrity: { schemas: ['scratch'] } }),
    checks: integrityChecks.filter((c) => c.id === 'integrity.corruption' || c.id === 'integrity.score'), signal: new AbortController().signal, log: silentLogger(),
  });
  // Not verified is not clean: the score says incomplete and names why.
  expect(r.checks[1]).toMatchObject({ status: 'warn', info: { state: 'incomplete' } });
  expect(r.checks[1]!.findings[0]!.detail).toMatch(/integrity\.corruption: skipped: amcheck is not installed/);
  expect(r.checks[0]).toMatchObject({ status: 'skip', reason: 'amcheck is not installed in database "postgres" (config.integrity.amcheck.create_extension is false); enable it with: CREATE EXTENSION amcheck; (as a superuser or the database owner)' });
  expect(r.checks[0]!.metrics.find((m) => m.name === 'checksum_failures')).toMatchObject({ count: 0 });
});
