// integrity.corruption on a private embedded PostgreSQL: garbage written into a btree index's file is caught by amcheck's bt_index_check.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
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
    checks: integrityChecks.filter((c) => c.id === 'integrity.corruption'), signal: new AbortController().signal, log: silentLogger(),
  });
}

it('passes on intact relations, then catches garbage written into a btree leaf page', async () => {
  await sql(`CREATE SCHEMA scratch; CREATE TABLE scratch.ledger (id int PRIMARY KEY, amount numeric NOT NULL);
    INSERT INTO scratch.ledger SELECT g, g * 1.5 FROM generate_series(1, 20000) g; CHECKPOINT`);
  const intact = (await runCorruption()).checks[0]!;
  expect(intact.status, intact.reason).toBe('pass');
  expect(intact.metrics.filter((m) => m.name === 'amcheck_relations_checked').map((m) => m.tags.kind).sort()).toEqual(['heap', 'index']);

  // A fresh index that no query has read: CREATE INDEX writes it with smgr, bypassing shared buffers, so the file is what amcheck reads next.
  await sql(`CREATE INDEX ledger_amount ON scratch.ledger (amount); CHECKPOINT`);
  const [{ file }] = await sql<{ file: string }>(`SELECT pg_relation_filepath('scratch.ledger_amount') AS file`) as [{ file: string }];
  const handle = await open(path.join(server.dataDir, file), 'r+');
  try {
    // Block 1 is the first leaf; keep its 24-byte page header so the page still looks like a page, and scramble the items.
    await handle.write(randomBytes(8192 - 24 - 16), 0, 8192 - 24 - 16, 8192 + 24);
  } finally {
    await handle.close();
  }
  const corrupt = (await runCorruption()).checks[0]!;
  expect(corrupt.status).toBe('fail');
  expect(corrupt.metrics.find((m) => m.name === 'corrupt_indexes')).toMatchObject({ count: 1 });
  const errors = corrupt.findings.filter((f) => f.severity === 'error');
  expect(errors.map((f) => f.title)).toEqual([expect.stringMatching(/^index scratch\.ledger_amount is corrupt: /)]);
  expect(errors[0]!.data).toMatchObject({ sqlstate: expect.stringMatching(/^XX00[12]$/) });
  expect(await sql(`SELECT 1 FROM pg_extension WHERE extname = 'amcheck'`)).toEqual([]);
}, 60_000);

it('skips with the exact command when amcheck is missing and may not be created', async () => {
  const r = await run({
    config: validateConfig({ database_url: server.url, integrity: { schemas: ['scratch'] } }),
    checks: integrityChecks.filter((c) => c.id === 'integrity.corruption'), signal: new AbortController().signal, log: silentLogger(),
  });
  expect(r.checks[0]).toMatchObject({ status: 'skip', reason: 'amcheck is not installed in database "postgres" (config.integrity.amcheck.create_extension is false); enable it with: CREATE EXTENSION amcheck; (as a superuser or the database owner)' });
  expect(r.checks[0]!.metrics.find((m) => m.name === 'checksum_failures')).toMatchObject({ count: 0 });
});
