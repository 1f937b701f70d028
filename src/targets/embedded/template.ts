// The data directory every private PostgreSQL of one build starts from: made by initdb once per build and server user,
// kept in the temp folder, and copied for each start (initdb is most of a private server's start-up: 1–6 s on a
// 2-core host, a copy a fraction of that). The copy's password is replaced at once, so no two servers share one.
import { createHash } from 'node:crypto';
import { chown, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Binaries } from './builds.js';
import { claim, reapOrphans } from './reap.js';

/** Where finished templates live (`<tmp>/stackprobe-pgtemplate-<key>`); not the private servers' prefix, so never reaped. */
export const TEMPLATE_PREFIX = 'stackprobe-pgtemplate-';
/** A template being made; one whose maker died is reaped like an orphaned server's directory. */
const BUILDING_PREFIX = 'stackprobe-pgbuilding-';

export interface Ids {
  uid: number;
  gid: number;
}

export interface Template {
  /** The template's data directory: copied, never started. */
  dataDir: string;
  /** The password of role postgres in it, replaced in every copy once its server is up. */
  password: string;
}

/** What makes a template: the binaries (path, size and time, so a reinstalled build gets a new one), the server user, initdb's arguments. */
async function templateKey(bins: Binaries, ids: Ids | undefined, initdbArgs: string[]): Promise<string> {
  const files = await Promise.all([bins.initdb, bins.postgres].map(async (f) => {
    const s = await stat(f);
    return [f, s.size, s.mtimeMs];
  }));
  return createHash('sha256').update(JSON.stringify([files, ids ?? null, process.getuid?.() ?? null, initdbArgs])).digest('hex').slice(0, 16);
}

/**
 * A finished template that this user made: a directory someone else made (the temp folder is shared) is not used,
 * since its maker could know its password or have opened its access.
 */
async function readTemplate(dir: string, ids: Ids | undefined): Promise<Template | undefined> {
  const me = process.getuid?.();
  const data = path.join(dir, 'data');
  try {
    const [top, inner] = await Promise.all([stat(dir), stat(data)]);
    if (me !== undefined && top.uid !== me) return undefined;
    if ((top.mode & 0o022) !== 0 || (inner.mode & 0o077) !== 0) return undefined;
    if (inner.uid !== (ids?.uid ?? me ?? inner.uid)) return undefined;
    await stat(path.join(dir, 'ready'));
    const password = (await readFile(path.join(dir, 'password'), 'utf8')).trim();
    return password ? { dataDir: data, password } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The template for this build and server user, made now by `initdb(dataDir, pwfile)` when there is none. Two runs
 * making it at once each make their own and the first rename wins; the other's is removed.
 */
export async function ensureTemplate(
  bins: Binaries, ids: Ids | undefined, initdbArgs: string[], password: string,
  initdb: (dataDir: string, pwfile: string) => Promise<void>,
): Promise<Template> {
  const dir = path.join(os.tmpdir(), `${TEMPLATE_PREFIX}${await templateKey(bins, ids, initdbArgs)}`);
  const existing = await readTemplate(dir, ids);
  if (existing) return existing;
  const owner = await stat(dir).then((st) => st.uid, () => undefined);
  if (owner !== undefined) {
    // Another user's is left alone (the start runs initdb of its own); an unusable one of ours is made anew.
    if (owner !== process.getuid?.()) throw new Error(`${dir} belongs to another user`);
    await rm(dir, { recursive: true, force: true });
  }
  await reapOrphans(BUILDING_PREFIX, (d) => path.join(d, 'data', 'postmaster.pid'));
  const building = await mkdtemp(path.join(os.tmpdir(), BUILDING_PREFIX));
  try {
    await claim(building);
    // The server's user walks into it to copy the data directory; only this user reads the password.
    await chmod(building, 0o755);
    const data = path.join(building, 'data');
    await mkdir(data, { mode: 0o700 });
    const pwfile = path.join(building, 'pwfile');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (ids) {
      await chown(data, ids.uid, ids.gid);
      await chown(pwfile, ids.uid, ids.gid);
    }
    await initdb(data, pwfile);
    await rm(pwfile);
    await writeFile(path.join(building, 'password'), `${password}\n`, { mode: 0o600 });
    await rm(path.join(building, 'owner.pid'));
    await writeFile(path.join(building, 'ready'), '');
    try {
      await rename(building, dir);
    } catch {
      // Another run finished one first: use it.
      await rm(building, { recursive: true, force: true });
    }
    const made = await readTemplate(dir, ids);
    if (!made) throw new Error(`the template data directory ${dir} is not usable`);
    return made;
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    throw err;
  }
}

/** Removes a template that would not start, so the next start makes a new one. */
export async function dropTemplate(template: Template): Promise<void> {
  await rm(path.dirname(template.dataDir), { recursive: true, force: true });
}
