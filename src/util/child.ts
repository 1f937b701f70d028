// Every child process stackprobe starts goes through here: its environment is built from a short allow-list, never inherited, so no URL or password reaches a child (or /proc/<pid>/environ).
import { execFile, spawn, type ChildProcess, type ExecFileOptions, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

/** What a child may take from our own environment: where programs are, and how to speak (locale, time zone). */
const PASSED = ['PATH', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR'];
const PASSED_PREFIX = 'LC_';

/** Variables that name a connection or a secret: never given to a child, even when a caller asks (a programming error). */
const FORBIDDEN_NAME = /(^PGPASSWORD$|_URL$|^CELERY_|^DATABASE_|^REDIS_|PASSWORD|SECRET|TOKEN)/i;
/** A URL with credentials in a value (`scheme://user:secret@host`). */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]*@/i;

export interface ChildEnvOptions {
  /** Also pass HOME: a libpq client without a password in its URL reads ~/.pgpass the way node-postgres does. */
  home?: boolean;
}

/**
 * The environment of a child: the allow-listed variables of ours, then `vars` (what the child needs: PG* connection
 * parts without a password, PGPASSFILE, …). Throws when `vars` would hand a URL or a password over.
 */
export function childEnv(vars: Record<string, string | undefined> = {}, opts: ChildEnvOptions = {}, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) {
    if (v !== undefined && (PASSED.includes(k) || k.startsWith(PASSED_PREFIX) || (opts.home && k === 'HOME'))) env[k] = v;
  }
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) continue;
    if (FORBIDDEN_NAME.test(k) || URL_WITH_PASSWORD.test(v)) throw new Error(`refusing to give a child process the variable ${k}: children get no URL and no password (a passfile carries it)`);
    env[k] = v;
  }
  // Without PATH a child's own helpers (pg_ctl finding postgres, pgbackrest's restore_command) cannot be found.
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  return env;
}

export type ChildSpawnOptions = Omit<SpawnOptions, 'env'> & { env?: Record<string, string | undefined>; home?: boolean };

/** node:child_process.spawn with a built environment. */
export function spawnChild(file: string, args: readonly string[], opts: ChildSpawnOptions = {}): ChildProcess {
  const { env, home, ...rest } = opts;
  return spawn(file, args, { ...rest, env: childEnv(env, { home }) });
}

const execFileAsync = promisify(execFile);

export type ChildExecOptions = Omit<ExecFileOptions, 'env' | 'encoding'> & { env?: Record<string, string | undefined>; home?: boolean };

/** execFile (promise form, text output) with a built environment; rejects like execFile with stdout/stderr on the error. */
export async function execChild(file: string, args: readonly string[], opts: ChildExecOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const { env, home, ...rest } = opts;
  const r = await execFileAsync(file, args, { ...rest, encoding: 'utf8', env: childEnv(env, { home }) });
  return { stdout: r.stdout, stderr: r.stderr };
}
