// Finds pg_dump and pg_restore of the server's major version: config first, then PATH, then Debian's /usr/lib/postgresql/<major>/bin.
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { execChild } from '../../util/child.js';

export interface PgTools {
  pgDump: string;
  pgRestore: string;
  version: string;
}

export interface Candidate {
  dir: string;
  source: string;
}

/** The directories to try, in order, each with where it came from (for the skip reason). */
export function candidateDirs(major: number, configured: string | undefined, envPath: string | undefined): Candidate[] {
  const out: Candidate[] = [];
  if (configured) out.push({ dir: configured, source: 'config.backup.pg_dump_path' });
  for (const dir of (envPath ?? '').split(path.delimiter).filter(Boolean)) out.push({ dir, source: 'PATH' });
  out.push({ dir: `/usr/lib/postgresql/${major}/bin`, source: 'Debian layout' });
  return out;
}

/** The major version in `pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)`; 9.6-style versions give 9. */
export function parseToolVersion(output: string): { major: number; version: string } | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) return undefined;
  return { major: Number(m[1]), version: m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]! };
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch (err) {
    // Not there or not executable: the caller tries the next place.
    void err;
    return false;
  }
}

async function versionOf(file: string): Promise<{ major: number; version: string } | undefined> {
  const { stdout } = await execChild(file, ['--version'], { timeout: 10_000 });
  return parseToolVersion(stdout);
}

/** pg_dump and pg_restore of exactly `major`, or the reason none was found (every place tried and what it held). */
export async function findPgTools(major: number, configured: string | undefined, envPath = process.env.PATH): Promise<PgTools | { reason: string }> {
  const tried: string[] = [];
  const seen = new Set<string>();
  const conf = configured && path.basename(configured).startsWith('pg_dump') ? path.dirname(configured) : configured;
  for (const c of candidateDirs(major, conf, envPath)) {
    const dump = path.join(c.dir, 'pg_dump');
    if (seen.has(dump)) continue;
    seen.add(dump);
    if (!(await executable(dump))) {
      if (c.source !== 'PATH') tried.push(`${dump} (${c.source}): not found`);
      continue;
    }
    const v = await versionOf(dump);
    if (!v || v.major !== major) {
      tried.push(`${dump} (${c.source}): ${v ? `version ${v.version}` : 'unknown version'}`);
      continue;
    }
    const restore = path.join(c.dir, 'pg_restore');
    const rv = (await executable(restore)) ? await versionOf(restore) : undefined;
    if (!rv || rv.major !== major) {
      tried.push(`${restore} (${c.source}): ${rv ? `version ${rv.version}` : 'not found'}`);
      continue;
    }
    return { pgDump: dump, pgRestore: restore, version: v.version };
  }
  return {
    reason: `no pg_dump/pg_restore for PostgreSQL ${major} (the server's major version; a different major can fail or produce an archive this server cannot restore): tried ${tried.join('; ') || 'nothing on PATH'}. Install postgresql-client-${major} or set config.backup.pg_dump_path`,
  };
}
