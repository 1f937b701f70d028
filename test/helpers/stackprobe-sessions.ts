// Test helper: stackprobe's sessions and workload schema on one test database (never server-wide), and the run a
// test's output directory holds; for the attacks on lost sessions and budgets.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { RunResult } from '../../src/result/model.js';
import { runDirOf } from './cli.js';
import { createTestDatabase, type TestDatabase } from './pg.js';

/** A test database and an output folder of its own for each test of the file: made before the test, removed after it. */
export function eachTestDatabaseAndFolder(): { readonly db: TestDatabase; readonly dir: string } {
  let db: TestDatabase | undefined;
  let dir: string | undefined;
  beforeEach(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-attack-'));
  });
  afterEach(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get db() {
      return db!;
    },
    get dir() {
      return dir!;
    },
  };
}

/** A stack trace or an unhandled error event in a run's output: a crash, where a check should have failed. */
export const STACK_TRACE = /\n\s+at .+:\d+:\d+|Unhandled 'error' event/;

const OURS = `FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'stackprobe%' AND pid <> pg_backend_pid()`;

/** stackprobe's sessions on this database. */
export async function stackprobeSessions(db: TestDatabase): Promise<number> {
  return (await db.sql<{ n: number }>(`SELECT count(*)::int AS n ${OURS}`, [db.name]))[0]!.n;
}

/** Terminates stackprobe's sessions on this database; how many. */
export async function terminateStackprobeSessions(db: TestDatabase): Promise<number> {
  return (await db.sql<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n ${OURS}`, [db.name]))[0]!.n;
}

/** Whether the workload schema is (still) there. */
export async function schemaLeft(db: TestDatabase): Promise<boolean> {
  return (await db.sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'stackprobe'`)).length > 0;
}

/** The run.json of the newest run under `dir`. */
export async function readRun(dir: string): Promise<RunResult> {
  return JSON.parse(await readFile(path.join(runDirOf(dir), 'run.json'), 'utf8')) as RunResult;
}
