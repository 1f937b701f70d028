// Test helper: loads the application-style fixtures of test/fixtures/realworld, runs integrity and health.indexes on
// them, and runs the statements their findings advise (rolled back) to prove each one runs on the object it names.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { indexesCheck } from '../../src/checks/health/index.js';
import { integrityChecks } from '../../src/checks/integrity/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { CheckResult, RunResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { silentLogger } from '../../src/util/logger.js';
import type { TestDatabase } from './pg.js';

const DIR = fileURLToPath(new URL('../fixtures/realworld/', import.meta.url));

/** integrity-<name>.sql into a fresh database with amcheck, and its .defects.sql on top when asked. */
export async function loadFixture(db: TestDatabase, name: string, defects: boolean): Promise<void> {
  await db.sql('CREATE EXTENSION amcheck');
  await db.sql(await readFile(path.join(DIR, `integrity-${name}.sql`), 'utf8'));
  if (defects) await plantDefects(db, name);
}

/** integrity-<name>.defects.sql on a database that holds the clean integrity-<name>.sql. */
export async function plantDefects(db: TestDatabase, name: string): Promise<void> {
  await db.sql(await readFile(path.join(DIR, `integrity-${name}.defects.sql`), 'utf8'));
}

export const runIntegrityAndIndexes = (db: TestDatabase): Promise<RunResult> => run({
  config: validateConfig({ database_url: db.url }), checks: [...integrityChecks, indexesCheck], signal: new AbortController().signal, log: silentLogger(),
});

export type Finding = CheckResult['findings'][number] & { check: string };
export const checkOf = (r: RunResult, id: string): CheckResult => r.checks.find((c) => c.id === id)!;
export const findingsOf = (r: RunResult, severity?: string): Finding[] =>
  r.checks.flatMap((c) => c.findings.filter((f) => !severity || f.severity === severity).map((f) => ({ check: c.id, ...f })));
export const titlesOf = (r: RunResult) => findingsOf(r).map((f) => `[${f.severity}] ${f.check}: ${f.title}`).join('\n');

/** The statements a finding advises, in order: data.statements, or health's single data.statement. */
export const statementsOf = (f: Pick<Finding, 'data'>): string[] => {
  const d = (f.data ?? {}) as { statements?: string[]; statement?: string };
  return d.statements ?? (d.statement ? [d.statement] : []);
};

export interface Tried { statement: string; code: string | null; message?: string }

/** Runs statements in one transaction that is rolled back; CONCURRENTLY (refused in a transaction) is dropped, the object is the same. */
export async function tryStatements(db: TestDatabase, statements: string[], after?: (c: pg.Client) => Promise<void>): Promise<Tried[]> {
  const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  const out: Tried[] = [];
  try {
    await client.query('BEGIN');
    for (const statement of statements) {
      await client.query('SAVEPOINT s');
      try {
        await client.query(statement.replace(/^(DROP INDEX|CREATE INDEX|CREATE UNIQUE INDEX|REINDEX INDEX) CONCURRENTLY /, '$1 '));
        out.push({ statement, code: null });
      } catch (err) {
        const e = err as { code?: string; message?: string };
        out.push({ statement, code: e.code ?? 'unknown', message: e.message });
        await client.query('ROLLBACK TO SAVEPOINT s');
      }
    }
    if (after) await after(client);
  } finally {
    await client.query('ROLLBACK');
    await client.end();
  }
  return out;
}

/**
 * Runs every finding's statements; returns the ones refused other than by the data (23xxx) they re-check: a key or
 * VALIDATE over rows that still break it, or a statement touching rows that break a constraint the run reported.
 */
export async function runAllAdvice(db: TestDatabase, result: RunResult): Promise<{ ran: number; failures: Array<Tried & { finding: string }> }> {
  const broken = findingsOf(result, 'error').map((x) => x.title);
  const failures: Array<Tried & { finding: string }> = [];
  let ran = 0;
  for (const f of findingsOf(result)) {
    const statements = statementsOf(f);
    if (statements.length === 0) continue;
    const tried = await tryStatements(db, statements);
    ran += tried.length;
    for (const t of tried) {
      const constraint = /constraint "([^"]+)"/.exec(t.message ?? '')?.[1];
      const waits = /^23/.test(t.code ?? '') && (/VALIDATE CONSTRAINT|ADD FOREIGN KEY|SET NOT NULL|UNIQUE INDEX|REINDEX/.test(t.statement) || (constraint !== undefined && broken.some((b) => b.includes(constraint))));
      if (t.code && !waits) failures.push({ finding: f.title, ...t });
    }
  }
  return { ran, failures };
}

/** Identical pairs as each check words them: the index dropped, the one kept, the statement. */
export function identicalPairs(result: RunResult): { catalog: unknown[]; health: unknown[]; kept: Set<string> } {
  const catalog = checkOf(result, 'integrity.catalog').findings.filter((f) => /identical indexes/.test(f.title))
    .flatMap((f) => { const d = f.data as { keep: string; drop: string[]; statements: string[] }; return d.drop.map((x, i) => ({ index: x, keep: d.keep, statement: d.statements[i] })); });
  const health = checkOf(result, 'health.indexes').findings.filter((f) => (f.data as { identical?: boolean }).identical)
    .map((f) => { const d = f.data as { index: string; covered_by: string; statement: string }; return { index: d.index, keep: d.covered_by, statement: `${d.statement};` }; });
  return { catalog, health, kept: new Set(catalog.map((p) => (p as { keep: string }).keep)) };
}

/** Findings of either check whose statement drops an index a pair keeps. */
export const droppingKept = (result: RunResult, kept: Set<string>): Finding[] =>
  findingsOf(result).filter((f) => statementsOf(f).some((s) => [...kept].some((k) => s.includes(`.${k};`) || s.endsWith(`.${k}`))));

/** runAllAdvice over several databases of one test: every statement run, every failure labelled with its database's key. */
export async function runAdviceOver(dbs: Map<string, { db: TestDatabase; result: RunResult }>): Promise<{ ran: number; failures: unknown[] }> {
  const failures: unknown[] = [];
  let ran = 0;
  for (const [key, { db, result }] of dbs) {
    const r = await runAllAdvice(db, result);
    ran += r.ran;
    failures.push(...r.failures.map((f) => ({ key, ...f })));
  }
  return { ran, failures };
}
