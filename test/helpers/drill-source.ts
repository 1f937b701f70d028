// Test helper for physical drills: a private PostgreSQL 15 (as nobody) with archive_command into a temp WAL archive, and pg_basebackup of it.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findServerBinaries, initdb, serverUser, startServer, type DrillRoot, type Running } from '../../src/checks/backup/drill/server.js';
import { freePort } from '../../src/targets/embedded/free-port.js';

const exec = promisify(execFile);

export interface ArchivingServer {
  root: string;
  dataDir: string;
  sockDir: string;
  port: number;
  archive: string;
  /** TCP URL of database `app` (trust on loopback: a test server). */
  url: string;
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** pg_basebackup -X none into a new folder (WAL comes from the archive), returned. */
  baseBackup(): Promise<string>;
  /** Switches to a new WAL segment and waits until the server has archived the one it closed. */
  switchAndArchive(): Promise<string>;
  stop(): Promise<void>;
}

export interface ServerPaths {
  root: string;
  dataDir: string;
  sockDir: string;
  port: number;
  archive: string;
}

/** `archiveCommand` (default: cp into `archive`) is made once the paths are known, before the server starts. */
export async function startArchivingServer(archiveCommand?: (p: ServerPaths) => Promise<string>): Promise<ArchivingServer> {
  const bins = await findServerBinaries(15, true);
  if ('reason' in bins) throw new Error(bins.reason);
  const root = await mkdtemp(path.join(os.tmpdir(), 'drill-src-'));
  await chmod(root, 0o755);
  const ids = serverUser();
  const sockDir = path.join(root, 'sock');
  const archive = path.join(root, 'archive');
  for (const d of [sockDir, archive]) {
    await mkdir(d, { mode: 0o700 });
    if (ids) await chown(d, ids.uid, ids.gid);
  }
  await chmod(archive, 0o755);
  const r: DrillRoot = { root, dataDir: path.join(root, 'data'), sockDir, port: await freePort(), remove: () => rm(root, { recursive: true, force: true }) };
  const hba = path.join(root, 'hba-tcp.conf');
  await writeFile(hba, 'local all all trust\nlocal replication all trust\nhost all all 127.0.0.1/32 trust\n', { mode: 0o644 });
  let server: Running | undefined;
  try {
    const command = archiveCommand ? await archiveCommand({ root, dataDir: r.dataDir, sockDir, port: r.port, archive }) : `cp %p ${archive}/%f`;
    await initdb(bins, r, new AbortController().signal, 60_000);
    server = await startServer(bins, r, ['-c', 'listen_addresses=127.0.0.1', '-c', `hba_file=${hba}`, '-c', 'wal_level=replica', '-c', 'archive_mode=on',
      '-c', `archive_command=${command}`, '-c', 'max_wal_senders=4', '-c', 'archive_timeout=0']);
    await server.waitFor(/database system is ready to accept connections/, 30_000, 'start');
  } catch (err) {
    await server?.stop();
    await r.remove();
    throw err;
  }
  const url = `postgres://postgres@127.0.0.1:${r.port}/app`;
  const query = async <T extends pg.QueryResultRow>(dbUrl: string, text: string, values?: unknown[]) => {
    const c = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
    c.on('error', () => undefined);
    await c.connect();
    try { return (await c.query<T>(text, values)).rows; } finally { await c.end(); }
  };
  await query(`postgres://postgres@127.0.0.1:${r.port}/postgres`, 'CREATE DATABASE app');
  return {
    root, archive, url, dataDir: r.dataDir, sockDir, port: r.port,
    sql: (text, values) => query(url, text, values),
    async baseBackup() {
      const dir = path.join(root, `base-${Math.random().toString(36).slice(2, 8)}`);
      await exec(path.join(bins.dir, 'pg_basebackup'), ['-h', sockDir, '-p', String(r.port), '-U', 'postgres', '-D', dir, '-X', 'none', '-c', 'fast', '--no-sync'], { timeout: 60_000 });
      return dir;
    },
    async switchAndArchive() {
      const seg = (await query<{ f: string }>(url, 'SELECT pg_walfile_name(pg_switch_wal()) AS f'))[0]!.f;
      const deadline = performance.now() + 30_000;
      while (performance.now() < deadline) {
        const last = (await query<{ w: string | null }>(url, 'SELECT last_archived_wal AS w FROM pg_stat_archiver'))[0]!.w;
        if (last !== null && last >= seg) return seg;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`WAL segment ${seg} was not archived within 30 s`);
    },
    async stop() {
      await server!.stop();
      await r.remove();
    },
  };
}
