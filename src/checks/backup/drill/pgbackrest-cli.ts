// Running pgbackrest for the drill: as the OS user that can read the repository, with a built environment, the options that keep it inside the drill folder, and its messages scrubbed of the config file's values.
import { stat } from 'node:fs/promises';
import { execChild } from '../../../util/child.js';
import { SkipCheck } from '../../../util/errors.js';
import { redactText } from '../../../util/redact.js';
import { isRoot, serverUser, type OsUser } from './server.js';

export interface PgBackRestOptions {
  stanza: string;
  config?: string | undefined;
  set?: string | undefined;
}

export interface PgBackRest {
  file: string;
  version: string;
  o: PgBackRestOptions;
  /** The drill's own lock folder (pgbackrest's default is shared with the team's backups). */
  lockPath: string | undefined;
  /** Who pgbackrest (and the restored server's archive-get) runs as; undefined: as we are. */
  user: OsUser | undefined;
  scrub: (text: string) => string;
  signal: AbortSignal;
  timeoutMs: number;
}

export async function pgbackrestBinary(): Promise<{ file: string; version: string }> {
  for (const file of ['pgbackrest', '/usr/bin/pgbackrest']) {
    const out = await execChild(file, ['version'], { timeout: 10_000 }).then((r) => r.stdout.trim(), (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : `error: ${err.message}`));
    if (out?.startsWith('pgBackRest')) return { file, version: out.replace(/^pgBackRest\s*/, '') };
  }
  throw new SkipCheck('backup.pgbackrest is set but pgbackrest is not installed here (not on PATH nor /usr/bin): install it (Debian: apt-get install pgbackrest) in the version your repository was written with');
}

/**
 * The options every pgbackrest call gets: the user's config file, the stanza, no log file of ours in their log folder,
 * our own lock folder, and never the asynchronous archive-get (its spool folder is outside the drill folder).
 */
export function common(o: PgBackRestOptions, lockPath: string | undefined, consoleLevel = 'warn'): string[] {
  return [...(o.config ? [`--config=${o.config}`] : []), `--stanza=${o.stanza}`, '--log-level-file=off', `--log-level-console=${consoleLevel}`, '--log-level-stderr=error', ...(lockPath ? [`--lock-path=${lockPath}`] : [])];
}

/** The last lines pgbackrest wrote, redacted and scrubbed of the config file's values. */
export function pgbrMessage(b: Pick<PgBackRest, 'scrub'>, err: Error & { stderr?: string; stdout?: string }): string {
  const text = (err.stderr ?? '').trim() || (err.stdout ?? '').trim() || err.message;
  return b.scrub(redactText(text.split('\n').filter(Boolean).slice(-3).join(' | ')));
}

/** Runs pgbackrest as the drill's user; rejects with `pgbackrest <what> failed: <its words>`. */
export async function pgbr(b: PgBackRest, args: string[], what: string, consoleLevel = 'warn'): Promise<{ stdout: string; stderr: string }> {
  return execChild(b.file, [...common(b.o, b.lockPath, consoleLevel), ...args], { ...b.user, signal: b.signal, timeout: b.timeoutMs, maxBuffer: 16 << 20 })
    .catch((err: Error & { stderr?: string; stdout?: string }) => {
      throw Object.assign(new Error(`pgbackrest ${what} failed: ${pgbrMessage(b, err)}`), { stdout: b.scrub(redactText(err.stdout ?? '')), stderr: b.scrub(redactText(err.stderr ?? '')) });
    });
}

/**
 * An option's value as pgbackrest itself resolves it (config sections, include files, environment): `help <command>
 * <option>` prints it. A config pgbackrest refuses fails here, before anything else runs, with its words scrubbed.
 */
export async function optionValue(file: string, o: PgBackRestOptions, command: string, option: string, scrub: (t: string) => string): Promise<string | undefined> {
  const out = await execChild(file, [...common(o, undefined), 'help', command, option], { timeout: 10_000 })
    .catch((err: Error & { stderr?: string; stdout?: string }) => { throw new Error(`pgbackrest cannot read its configuration: ${pgbrMessage({ scrub }, err)}`); });
  return (/^current:\s*(.+)$/m.exec(out.stdout) ?? /^default:\s*(.+)$/m.exec(out.stdout))?.[1]?.trim();
}

export interface Repository {
  type: string;
  path: string | undefined;
}

export async function repositoryOf(file: string, o: PgBackRestOptions, scrub: (t: string) => string): Promise<Repository> {
  const type = (await optionValue(file, o, 'restore', 'repo-type', scrub)) ?? 'posix';
  return { type, path: type === 'posix' ? await optionValue(file, o, 'restore', 'repo-path', scrub) : undefined };
}

async function userName(uid: number): Promise<string> {
  return execChild('id', ['-nu', String(uid)], { timeout: 5000 }).then((r) => r.stdout.trim() || `uid ${uid}`, (err: Error) => { void err; return `uid ${uid}`; });
}

export interface DrillUser {
  user: OsUser | undefined;
  /** "postgres (uid 105)", or "this user". */
  name: string;
  why: string;
}

/**
 * Who the drill runs pgbackrest and the restored server as. Not root: ourselves. Root (PostgreSQL refuses it): the
 * owner of a local repository, as pgBackRest's own restores run (its default repository is the postgres user's, mode
 * 0750, which `nobody` cannot read); `nobody` when the repository is root's or not a local folder.
 */
export async function chooseDrillUser(repo: Repository): Promise<DrillUser> {
  if (!isRoot()) return { user: undefined, name: 'this user', why: 'stackprobe is not root' };
  const nobody = serverUser()!;
  const owner = repo.path ? await stat(repo.path).catch((err: Error) => err) : undefined;
  if (owner && !(owner instanceof Error) && owner.uid !== 0) {
    return { user: { uid: owner.uid, gid: owner.gid }, name: `${await userName(owner.uid)} (uid ${owner.uid})`, why: `the owner of the repository ${repo.path}` };
  }
  const why = owner instanceof Error ? `the repository ${repo.path} cannot be examined (${owner.message})` : owner ? `the repository ${repo.path} is root's, and PostgreSQL may not run as root`
    : repo.path ? `the repository ${repo.path} has no owner to take` : `the repository is not a local folder (repo1-type=${repo.type})`;
  return { user: nobody, name: `nobody (uid ${nobody.uid})`, why };
}
